"""Shared fixtures: the hand-written test worlds in ``tests/data`` and the real mirror (for
end-to-end tests on a slice of real data)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

TESTS_DATA = Path(__file__).parent / "data"

# Hand-written fixtures (including small notebooks for the site tests) are data, not tests.
collect_ignore_glob = ["data/*"]


@pytest.fixture(scope="session")
def real_mirror() -> Path:
    value = os.environ.get("SKILLS_ENGINE_MIRROR")
    if not value or not Path(value).is_dir():
        pytest.skip("SKILLS_ENGINE_MIRROR is not set: end-to-end tests on the real mirror skipped")
    return Path(value).resolve()


@pytest.fixture
def tests_data() -> Path:
    return TESTS_DATA


def load_world(name: str) -> ModuleType:
    """A hand-written world from ``tests/data/<name>.py`` (data, so never collected as tests)."""
    spec = importlib.util.spec_from_file_location(name, TESTS_DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def recommend_world() -> ModuleType:
    """A tiny labour market: five occupations, a dozen skills, hand-written adverts."""
    return load_world("recommend_world")


@pytest.fixture(scope="session")
def api_world() -> ModuleType:
    """The recommend world fitted into an engine the API serves (``api_world.tiny_engine()``)."""
    return load_world("api_world")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's headless Chromium, or a skip saying how to install it."""
    from browser_support import chromium_binary

    found = chromium_binary()
    if found is None:
        pytest.skip("no chromium binary on PATH (apt-get install -y chromium)")
    return found
