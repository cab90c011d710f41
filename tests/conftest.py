"""Shared fixtures: the real mirror (for end-to-end tests on a slice of real data)."""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's headless Chromium, or a skip saying how to install it."""
    from browser_support import chromium_binary

    found = chromium_binary()
    if found is None:
        pytest.skip("no chromium binary on PATH (apt-get install -y chromium)")
    return found
