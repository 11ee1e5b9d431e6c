"""Hostile blueprints that try to write outside the project, or read outside the blueprint.

A rendered path must stay inside the project: no '..', no absolute path, no drive or stream,
no backslash, no control character, no separator smuggled in through a value, nothing under
.git/ or .scaffold/. A blueprint's files/ may not hold symbolic links. Every refusal happens
before anything is written.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(60)

NAMED = '[options.name]\ntype = "str"\ndefault = "fine"\n'


@pytest.mark.parametrize(
    ("template_path", "fragment"),
    [
        ("{{ '..' }}/escaped.txt", "outside the project"),
        ("sub/{{ '..' }}/{{ '..' }}/escaped.txt", "outside the project"),
        ("{{ '.' }}/x.txt", "outside the project"),
        ("{{ '' }}/x.txt", "absolute"),
        ("sub/{{ '' }}/x.txt", "empty path segment"),
        # a '/' cannot be part of a name on disk: '%c' % 47 makes one at render time
        ("{{ '%cetc' % 47 }}/passwd", "absolute"),
        ("{{ '\\\\' }}server", "non-portable"),
        ("{{ 'a\\\\..\\\\..\\\\b' }}", "non-portable"),
        ("{{ 'C:' }}/x.txt", "non-portable"),
        ("{{ 'c:' ~ 'x' }}.txt", "non-portable"),
        ("{{ 'x.txt:stream' }}", "non-portable"),
        ("{{ 'a\\x00b' }}.txt", "control character"),
        ("{{ 'a\\nb' }}.txt", "control character"),
        ("{{ '..%c..%cx' % (47, 47) }}.txt", "outside the project"),
        ("sub/{{ 'a%cb' % 47 }}.txt", "holds a '/'"),
        (".git/hooks/post-checkout", "may not write"),
        ("sub/.git/config", "may not write"),
        (".scaffold/project.toml", "may not write"),
    ],
)
def test_a_file_name_rendering_outside_the_project_is_refused(
    source, refused, template_path, fragment
) -> None:
    source.add("evil", files={template_path: "x"})

    refusal = refused("evil", fragment)

    assert "evil/files/" in refusal.line


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("../../etc", "outside the project"),
        ("..", "outside the project"),
        ("a/b", "holds a '/'"),
        ("a/../../b", "outside the project"),
        ("/etc/passwd", "absolute"),
        ("..\\..\\etc", "non-portable"),
        ("C:\\Windows\\evil", "non-portable"),
        ("D:evil", "non-portable"),
        ("a\u0000b", "control character"),
        ("a\nb", "control character"),
        ("", "absolute"),
        (".git", "may not write"),
    ],
)
def test_an_option_value_used_as_a_folder_cannot_move_a_file_out(
    source, refused, value, fragment
) -> None:
    source.add("evil", NAMED, {"{{ name }}/x.py.jinja": "x = 1\n"})

    refusal = refused("evil", fragment, "-O", f"evil.name={json.dumps(value)}")

    assert "evil/files/{{ name }}/x.py.jinja" in refusal.line


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("../../etc", "outside the project"),
        ("a/b", "holds a '/'"),
        ("/etc/passwd", "absolute"),
        ("..\\..\\etc", "non-portable"),
        ("C:\\evil", "non-portable"),
        ("a\u0000b", "control character"),
    ],
)
def test_an_option_value_in_a_file_name_cannot_move_the_file_out(
    source, refused, value, fragment
) -> None:
    source.add("evil", NAMED, {"{{ name }}.py.jinja": "x = 1\n"})

    refused("evil", fragment, "-O", f"evil.name={json.dumps(value)}")


@pytest.mark.parametrize("value", ["../../etc", "a/b", "/abs"])
def test_an_option_value_from_an_answers_file_cannot_move_a_file_out(
    source, refused, tmp_path, value
) -> None:
    source.add("evil", NAMED, {"pkg/{{ name }}.py": "x = 1\n"})
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"blueprints: [evil]\noptions:\n  evil: {{name: {json.dumps(value)}}}\n")

    refusal = refused(None, "evil/files/pkg/{{ name }}.py", "--answers", answers)

    assert any(word in refusal.line for word in ("outside", "'/'", "empty path segment"))


def test_a_symlinked_file_pointing_outside_is_refused(source, refused, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    folder = source.add("evil", files={"real.txt": "x"})
    (folder / "files" / "stolen.txt").symlink_to(secret)

    refusal = refused("evil", "symbolic link")

    assert "stolen.txt" in refusal.line


def test_a_symlinked_template_pointing_outside_is_refused(source, refused, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("{{ package }} do not render me")
    folder = source.add("evil")
    (folder / "files" / "stolen.txt.jinja").symlink_to(secret)

    refused("evil", "symbolic link")


def test_a_symlink_to_an_absolute_system_file_is_refused(source, refused) -> None:
    folder = source.add("evil")
    (folder / "files" / "passwd").symlink_to("/etc/passwd")

    refused("evil", "symbolic link")


def test_a_symlinked_folder_pointing_outside_is_refused(source, refused, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("do not copy me")
    folder = source.add("evil", files={"real.txt": "x"})
    (folder / "files" / "linked").symlink_to(elsewhere, target_is_directory=True)

    refused("evil", "symbolic link")


def test_a_symlinked_files_folder_is_refused(source, refused, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("do not copy me")
    folder = source.add("evil")
    (folder / "files").rmdir()
    (folder / "files").symlink_to(elsewhere, target_is_directory=True)

    refused("evil", "symbolic link")


def test_a_symlink_inside_the_blueprint_is_refused_too(source, refused) -> None:
    # links are refused whatever they point to: a relative link can be re-aimed by moving things
    folder = source.add("evil", files={"real.txt": "x"})
    (folder / "files" / "alias.txt").symlink_to("real.txt")

    refused("evil", "symbolic link")


def test_a_dangling_symlink_is_refused(source, refused) -> None:
    folder = source.add("evil", files={"real.txt": "x"})
    (folder / "files" / "dangling.txt").symlink_to("/nonexistent/target")

    refused("evil", "symbolic link")


@pytest.mark.parametrize(
    ("manifest", "fragment"),
    [
        ('[[contribute.page_sections]]\ntemplate = "../../../etc/passwd"\n', "outside the project"),
        ('[[contribute.page_sections]]\ntemplate = "/etc/passwd"\n', "absolute"),
        (
            "[[contribute.page_sections]]\ntemplate = \"{{ '..' }}/{{ '..' }}/x.html\"\n",
            "outside the project",
        ),
        ('[[contribute.assets]]\npath = "../../secret.css"\nkind = "stylesheet"\n', "outside"),
        ('[[contribute.assets]]\npath = "C:/x.js"\nkind = "script"\n', "non-portable"),
        (NAMED + '[[contribute.assets]]\npath = "{{ name }}"\nkind = "script"\n', "outside"),
    ],
)
def test_a_contribution_naming_a_file_outside_is_refused(
    source, refused, manifest, fragment
) -> None:
    source.add("evil", manifest)
    extra = ("-O", "evil.name=../../../x.js") if "{{ name }}" in manifest else ()

    refused("evil", fragment, *extra)


def test_nothing_is_written_even_when_the_bad_file_comes_last(source, refused) -> None:
    # many good files render first; the refusal still leaves the disk untouched
    files = {f"good_{index:03}.txt.jinja": "{{ package }}\n" for index in range(50)}
    files["zzz/{{ '..' }}/{{ '..' }}/escaped.txt"] = "x"
    source.add("evil", files=files)

    refused("evil", "outside the project")


def test_force_into_an_existing_folder_is_left_untouched_on_refusal(
    source, cli, out, tmp_path
) -> None:
    target = out / "x"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    source.add("evil", files={"{{ '..' }}/escaped.txt": "x"})

    result = cli(
        "new", "x", "--source", source.root, "-b", "evil", "--no-input", "-o", out, "--force"
    )

    assert result.exit_code == 2
    assert "outside the project" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["x"]
    assert not (out / "escaped.txt").exists()
