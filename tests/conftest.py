"""The root of scaffold's test suite; deliberately empty of fixtures and hooks.

Each suite keeps its own helpers as fixtures in its own conftest.py (tests/unit, tests/e2e, ...)
so that nothing here can clash with them. Folders are not packages, so every test module needs
a unique file name across the whole tree.

- tests/unit, tests/integration: scaffold itself, in process or in a terminal; fast.
- tests/e2e: generate projects, install them with uv, lint, test and boot them (marked ``e2e``;
  the Chromium test is also ``browser``). Deselect with ``-m "not e2e and not browser"``.
"""
