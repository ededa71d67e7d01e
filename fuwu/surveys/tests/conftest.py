from __future__ import annotations

import pytest

from fuwu.surveys.loader import load_library


@pytest.fixture
def surveys(library: None) -> None:
    result = load_library()
    assert not result.problems, result.problems
