"""Fixtures for the integration suite: scaffold run in real subprocesses and pseudo-terminals.

These tests start ``python -m scaffold`` with the environment of the test run (or one they
build), and some of them depend on timing (an interrupt part-way through a run). They opt out of
tests/conftest.py's autouse fixtures, which would change that environment: no private template
cache (a cold cache changes how long a run takes) and no forced terminal variables.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache() -> None:
    """Opt out: child processes use the cache they would use outside the tests."""


@pytest.fixture(autouse=True)
def _stable_terminal() -> None:
    """Opt out: child processes see the terminal environment of the test run."""
