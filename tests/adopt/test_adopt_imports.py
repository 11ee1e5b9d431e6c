"""libcst is imported by adopt and by changes to adopted projects only."""

from __future__ import annotations

from pathlib import Path

import scaffold

REPO_ROOT = str(Path(scaffold.__file__).resolve().parents[1])
ADOPT_MODULES = ("libcst", "scaffold.adopt", "scaffold.adopted", "scaffold.cst_edit")

CHECK = """
import sys

sys.path.insert(0, {root!r})
from typer.testing import CliRunner

from scaffold.cli import app

runner = CliRunner()
for args in (
    ["--help"],
    ["new", "svc", "--all", "--no-input", "-o", "out"],
    ["add", "static", "-C", "out/svc"],
):
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
print(sorted(m for m in sys.modules if m.startswith({modules!r})))
"""


def test_help_new_and_add_to_a_generated_project_do_not_import_libcst(
    tmp_path: Path, python_in
) -> None:
    output = python_in(tmp_path, CHECK.format(root=REPO_ROOT, modules=ADOPT_MODULES))

    assert output.strip() == "[]"


def test_adopt_imports_it(bigger: Path, python_in) -> None:
    code = (
        f"import sys\nsys.path.insert(0, {REPO_ROOT!r})\n"
        "from typer.testing import CliRunner\nfrom scaffold.cli import app\n"
        "assert CliRunner().invoke(app, ['adopt']).exit_code == 0\n"
        "print('libcst' in sys.modules)\n"
    )

    assert python_in(bigger, code).strip() == "True"
