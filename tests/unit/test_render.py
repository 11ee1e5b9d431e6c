"""Rendering: strict variables, the sandbox, safe paths, one owner per file, verbatim copies."""

from __future__ import annotations

import pytest

from scaffold.errors import BlueprintError
from scaffold.models import ProjectSpec
from scaffold.pipeline import build_tree


def _tree(source, blueprints, name="demo"):
    spec = ProjectSpec(name=name, blueprints=blueprints)
    _, tree = build_tree(spec, sources=(source.root,))
    return tree


def test_jinja_files_are_rendered_and_lose_their_suffix(source) -> None:
    source.add(
        "mine",
        '[options.greeting]\ntype = "str"\ndefault = "hello"\n',
        {"{{ package }}/greet.txt.jinja": "{{ greeting }} from {{ project.name }}\n"},
    )

    tree = _tree(source, {"mine": {"greeting": "hi"}}, name="my-app")

    assert tree["my_app/greet.txt"] == b"hi from my-app\n"
    assert not any(path.endswith(".jinja") for path in tree)


def test_non_jinja_files_are_copied_byte_for_byte(source) -> None:
    binary = bytes(range(256)) + b"{{ not_a_variable }}\r\n"
    text = "{% raw %} {{ nor_this }} \r\n\tno trailing newline"
    source.add("mine", files={"data.bin": binary, "notes/raw.txt": text.encode()})

    tree = _tree(source, {"mine": {}})

    assert tree["data.bin"] == binary
    assert tree["notes/raw.txt"] == text.encode()


def test_a_misspelt_variable_is_an_error_naming_the_file(source) -> None:
    source.add("mine", files={"hello.txt.jinja": "Hello {{ projet.name }}\n"})

    with pytest.raises(BlueprintError, match="'projet' is undefined") as caught:
        _tree(source, {"mine": {}})

    assert "mine/files/hello.txt.jinja" in str(caught.value)


def test_a_misspelt_variable_in_a_when_condition_is_an_error(source) -> None:
    source.add(
        "mine",
        '[when]\n"maybe.txt" = "enabeld"\n[options.enabled]\ntype = "bool"\ndefault = true\n',
        {"maybe.txt": "x"},
    )

    with pytest.raises(BlueprintError, match="enabeld"):
        _tree(source, {"mine": {}})


def test_a_syntax_error_in_a_template_is_an_error_with_its_line(source) -> None:
    source.add("mine", files={"broken.txt.jinja": "fine\n{% if %}\n"})

    with pytest.raises(BlueprintError, match=r"mine/files/broken\.txt\.jinja:2"):
        _tree(source, {"mine": {}})


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% set x = ''.__class__ %}{{ x.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.format.__globals__ }}",
    "{{ project.__class__ }}",
    "{{ import_lines.__globals__ }}",
    "{{ (package | upper).__class__.__base__.__subclasses__() }}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_the_sandbox_refuses_python_internals_in_templates(source, template) -> None:
    source.add("mine", files={"evil.txt.jinja": template})

    with pytest.raises(BlueprintError, match="unsafe"):
        _tree(source, {"mine": {}})


@pytest.mark.parametrize("template", ESCAPES)
def test_the_sandbox_refuses_python_internals_in_manifest_strings(source, template) -> None:
    source.add("mine", f'[[contribute.routers]]\nref = "{template}:router"\n')

    with pytest.raises(BlueprintError, match="unsafe"):
        _tree(source, {"mine": {}})


def test_the_sandbox_refuses_python_internals_in_conditions(source) -> None:
    source.add("mine", '[when]\n"x.txt" = "\'\'.__class__.__mro__"\n', {"x.txt": "x"})

    with pytest.raises(BlueprintError, match="unsafe"):
        _tree(source, {"mine": {}})


def test_the_sandbox_refuses_python_internals_in_file_names(source) -> None:
    source.add("mine", files={"{{ ''.__class__.__name__ }}.txt": "x"})

    with pytest.raises(BlueprintError, match="unsafe"):
        _tree(source, {"mine": {}})


@pytest.mark.parametrize(
    ("template_path", "value", "fragment"),
    [
        ("{{ where }}.jinja", "../x", "outside the project"),
        ("sub/{{ where }}", "../../x", "outside the project"),
        ("{{ where }}", "/abs", "absolute"),
        ("{{ where }}", "", "outside the project"),
        ("{{ where }}/f.txt", "", "absolute"),
        ("sub/{{ where }}/f.txt", "", "empty path segment"),
        ("sub/{{ where }}", "", "empty path segment"),
        ("{{ where }}", "a\\b", "non-portable"),
        ("{{ where }}", "..", "outside the project"),
    ],
)
def test_a_path_rendering_outside_the_project_is_refused(
    source, template_path, value, fragment
) -> None:
    source.add("mine", '[options.where]\ntype = "str"\ndefault = "ok"\n', {template_path: "x"})

    with pytest.raises(BlueprintError, match=fragment) as caught:
        _tree(source, {"mine": {"where": value}})

    assert f"mine/files/{template_path}" in str(caught.value)


def test_a_path_template_with_a_good_value_renders(source) -> None:
    source.add("mine", '[options.where]\ntype = "str"\ndefault = "ok"\n', {"sub/{{ where }}": "x"})

    assert _tree(source, {"mine": {"where": "deeper.txt"}})["sub/deeper.txt"] == b"x"


@pytest.mark.parametrize("value", ["deep/er", "a/b", "./x"])
def test_a_value_cannot_smuggle_a_separator_into_one_path_segment(source, value) -> None:
    # one segment of the template path is one segment of the project path: a '/' in a value
    # would move the file into a folder the blueprint never laid out
    source.add("mine", '[options.where]\ntype = "str"\ndefault = "ok"\n', {"sub/{{ where }}": "x"})

    with pytest.raises(BlueprintError, match=r"(holds a '/'|outside the project)") as caught:
        _tree(source, {"mine": {"where": value}})

    assert "mine/files/sub/{{ where }}" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("C:evil", "non-portable"),
        ("c:", "non-portable"),
        ("file.txt:stream", "non-portable"),
        ("nul\0byte", "control character"),
        ("line\nbreak", "control character"),
        (".git", "may not write"),
        (".GIT", "may not write"),
    ],
)
def test_non_portable_and_reserved_file_names_are_refused(source, value, fragment) -> None:
    source.add("mine", '[options.where]\ntype = "str"\ndefault = "ok"\n', {"{{ where }}/f": "x"})

    with pytest.raises(BlueprintError, match=fragment):
        _tree(source, {"mine": {"where": value}})


def test_a_blueprint_cannot_write_into_the_scaffold_record_folder(source) -> None:
    source.add("mine", files={".scaffold/project.toml": "x"})

    with pytest.raises(BlueprintError, match="may not write"):
        _tree(source, {"mine": {}})


def test_a_folder_named_like_the_record_deeper_down_is_fine(source) -> None:
    source.add("mine", files={"docs/.scaffold/notes.txt": "x"})

    assert _tree(source, {"mine": {}})["docs/.scaffold/notes.txt"] == b"x"


def test_a_symlinked_file_in_files_is_refused(source, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    folder = source.add("mine", files={"real.txt": "x"})
    (folder / "files" / "link.txt").symlink_to(secret)

    with pytest.raises(BlueprintError, match="symbolic link"):
        _tree(source, {"mine": {}})


def test_a_symlinked_folder_in_files_is_refused(source, tmp_path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("do not copy me")
    folder = source.add("mine", files={"real.txt": "x"})
    (folder / "files" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    with pytest.raises(BlueprintError, match="symbolic link"):
        _tree(source, {"mine": {}})


def test_a_symlinked_files_folder_is_refused(source, tmp_path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("do not copy me")
    folder = source.add("mine")
    (folder / "files").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    with pytest.raises(BlueprintError, match="symbolic link"):
        _tree(source, {"mine": {}})


def test_two_blueprints_writing_one_path_is_an_error_naming_both(source) -> None:
    source.add("alpha", files={"shared.txt": "a"})
    source.add("beta", files={"shared.txt.jinja": "b"})

    with pytest.raises(BlueprintError, match=r"shared\.txt") as caught:
        _tree(source, {"alpha": {}, "beta": {}})

    assert "'alpha'" in str(caught.value)
    assert "'beta'" in str(caught.value)


def test_two_blueprints_writing_paths_that_differ_only_in_case_is_an_error(source) -> None:
    source.add("alpha", files={"Notes.txt": "a"})
    source.add("beta", files={"notes.TXT": "b"})

    with pytest.raises(BlueprintError, match="where case is ignored") as caught:
        _tree(source, {"alpha": {}, "beta": {}})

    assert "'alpha'" in str(caught.value)
    assert "'beta'" in str(caught.value)


def test_a_file_of_one_blueprint_cannot_be_a_folder_of_another(source) -> None:
    source.add("alpha", files={"thing": "a file"})
    source.add("beta", files={"thing/inside.txt": "b"})

    with pytest.raises(BlueprintError, match="either a file or a folder") as caught:
        _tree(source, {"alpha": {}, "beta": {}})

    assert "'alpha'" in str(caught.value)
    assert "'beta'" in str(caught.value)


def test_a_blueprint_cannot_overwrite_a_base_file(source) -> None:
    source.add("mine", files={"README.md": "mine"})

    with pytest.raises(BlueprintError, match=r"README\.md") as caught:
        _tree(source, {"mine": {}})

    assert "'base'" in str(caught.value)
    assert "'mine'" in str(caught.value)


WHEN = """
[options.extra]
type = "bool"
default = false

[when]
"extra.txt" = "extra"
"{{ package }}/with_base.py.jinja" = "'base' in blueprints"
"""


@pytest.mark.parametrize("extra", [True, False])
def test_when_conditions_decide_whether_a_file_is_written(source, extra) -> None:
    source.add(
        "mine",
        WHEN,
        {"extra.txt": "x", "always.txt": "y", "{{ package }}/with_base.py.jinja": "Z = 1\n"},
    )

    tree = _tree(source, {"mine": {"extra": extra}})

    assert ("extra.txt" in tree) is extra
    assert "always.txt" in tree
    assert "demo/with_base.py" in tree


def test_templates_see_the_project_the_selection_and_their_options(source) -> None:
    source.add(
        "mine",
        '[options.level]\ntype = "int"\ndefault = 2\n',
        {
            "info.txt.jinja": (
                "{{ project.name }}|{{ project.package }}|{{ project.description }}|"
                "{{ project.python }}|{{ blueprints | join(',') }}|{{ level }}|{{ options.level }}"
            )
        },
    )
    spec = ProjectSpec(name="My-App", description="Desc", python="3.12", blueprints={"mine": {}})

    _, tree = build_tree(spec, sources=(source.root,))

    assert tree["info.txt"] == b"My-App|my_app|Desc|3.12|base,mine|2|2"


def test_bytecode_next_to_blueprint_files_is_not_copied(tmp_path) -> None:
    from scaffold.catalog import load_catalog
    from scaffold.render import _template_files

    blueprint = next(bp for bp in load_catalog() if bp.name == "base")
    cache = tmp_path / "files"
    import shutil

    shutil.copytree(blueprint.files_dir, cache)
    (cache / "tests" / "__pycache__").mkdir()
    (cache / "tests" / "__pycache__" / "test_health.cpython-311.pyc").write_bytes(b"\0")
    (cache / "stray.pyc").write_bytes(b"\0")

    names = [p.name for p in _template_files(cache)]

    assert "test_health.py" in names
    assert not any(name.endswith(".pyc") for name in names)
