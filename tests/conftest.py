"""Shared fixtures. Qt tests need QT_QPA_PLATFORM=offscreen before Qt is imported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HERITAGE_USER", "tester")

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the shared test corpus (../shared/corpus) is not present in this checkout")
    return CORPUS
