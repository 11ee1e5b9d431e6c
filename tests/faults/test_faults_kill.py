"""``kill -9`` at every step of a change loses nothing: the next command recovers first.

A real SIGKILL, sent by the test to a real scaffold process paused at one step of its journal
(tests/faults/conftest.py). Whatever the step, the next scaffold command in the project (here
``status``, a read-only one) rolls the change back, or finishes it when it had completed, and
says so; the project is then exactly as before, or exactly as after a complete run, never a mix;
and the change can be made again.
"""

from __future__ import annotations

import signal

import pytest

pytestmark = pytest.mark.timeout(1800)

PACKAGE = "fault_app"
ADDED = ("static", "websockets")


def _owner_edit(root) -> None:
    main = root / PACKAGE / "main.py"
    main.write_text("# the owner's comment, which must survive\n" + main.read_text())
    main.chmod(0o750)


@pytest.mark.slow
def test_kill_9_at_every_step_of_add_loses_nothing(
    project, scaffold_child, scaffold_run, snapshot
) -> None:
    reference = project("tests")
    _owner_edit(reference)
    code, _, stderr = scaffold_run("add", *ADDED, "-C", reference)
    assert code == 0, stderr
    after = snapshot(reference)

    steps: list[str] = []
    while True:
        root = project("tests")
        _owner_edit(root)
        before = snapshot(root)
        child = scaffold_child("add", *ADDED, "-C", root, pause_at=len(steps) + 1)
        step = child.paused()
        if step is None:  # past the last step: the run completed
            code, _, stderr = child.finish()
            assert code == 0, stderr
            assert snapshot(root) == after
            break
        child.signal(signal.SIGKILL)
        child.process.wait()
        assert child.process.returncode == -signal.SIGKILL
        steps.append(step)

        code, _, stderr = scaffold_run("status", "-C", root)

        assert code == 0, (step, stderr)
        if step == "done written":
            assert "finished an interrupted scaffold change" in stderr, (step, stderr)
            assert snapshot(root) == after, step
        else:
            assert "rolled back an interrupted scaffold change" in stderr, (step, stderr)
            assert snapshot(root) == before, step
        code, _, stderr = scaffold_run("add", *ADDED, "-C", root)
        assert code == 0, (step, stderr)
        assert snapshot(root) == after, step

    assert steps[:2] == ["staged", "intent written"]
    assert steps[-1] == "done written"
    assert len(steps) >= 10, steps


def test_kill_9_during_new_leaves_no_half_project(project, scaffold_child, tmp_path) -> None:
    out = tmp_path / "out"
    child = scaffold_child("new", "fault-app", "--no-input", "-o", out, pause_at=1)
    assert child.paused() == "project staged"

    child.signal(signal.SIGKILL)
    child.process.wait()

    assert not (out / "fault-app").exists()  # the project appears whole, by one rename, or not
