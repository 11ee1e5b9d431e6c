"""Shell completion completes commands and blueprint names, as a shell would ask for them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def complete(words: str, index: int) -> list[str]:
    env = {
        **os.environ,
        "_SCAFFOLD_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(index),
    }
    completed = subprocess.run(
        [sys.executable, "-c", "from scaffold.entry import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed.stdout.split()


@pytest.mark.parametrize(
    ("words", "index", "expected"),
    [
        ("scaffold new x -b web", 4, ["websockets"]),
        ("scaffold new x -b mid", 4, ["middleware"]),
        ("scaffold ad", 1, ["add", "adopt"]),
        ("scaffold add tem", 2, ["templates"]),
    ],
)
def test_completion_offers_matching_names(words: str, index: int, expected: list[str]) -> None:
    offered = complete(words, index)

    assert set(offered) & set(expected), offered
    assert all(word.startswith(words.rsplit(maxsplit=1)[-1]) for word in offered), offered
