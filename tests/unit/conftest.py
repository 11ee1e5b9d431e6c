"""Fixtures for the unit and CLI tests of scaffold itself.

The CLI, the terminal, the cache and throwaway blueprints (``source``, ``out``, ``file_tree``)
come from tests/conftest.py; this suite only asks for a narrower terminal than the default.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def terminal_columns() -> int:
    """The width these tests' output assertions were written against."""
    return 120
