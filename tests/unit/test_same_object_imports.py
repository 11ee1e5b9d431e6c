"""The re-exports scaffold treats as one object are one object in the installed FastAPI."""

from __future__ import annotations

import importlib
import warnings

import pytest

from scaffold.edit.names import ImportName, same_object_groups, same_object_modules


@pytest.mark.parametrize(("name", "modules"), same_object_groups())
def test_each_module_of_a_group_gives_the_same_object(name: str, modules: tuple[str, ...]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette.testclient's deprecation of plain httpx
        objects = {id(getattr(importlib.import_module(module), name)) for module in modules}

    assert len(objects) == 1


def test_fastapis_own_subclasses_are_not_taken_for_starlettes() -> None:
    import fastapi
    import starlette.exceptions

    assert fastapi.HTTPException is not starlette.exceptions.HTTPException
    assert same_object_modules(ImportName("fastapi", "HTTPException")) == {"fastapi"}
    assert same_object_modules(ImportName("starlette.staticfiles", "StaticFiles")) == {
        "fastapi.staticfiles",
        "starlette.staticfiles",
    }
