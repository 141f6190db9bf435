"""A reader that crashes, exhausts memory or hangs costs one typed error, never the app."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from archive import CorruptFile, LimitExceeded
from archive.formats import Limits, ScanInfo
from archive.isolation import inspect_isolated, limit_memory, start_inspection

from .helpers import write_box_ply


def crashing_reader(path: Path, root: Path, limits: Limits, memory: int) -> ScanInfo:
    os.abort()  # what a segfaulting native parser looks like from outside


def greedy_reader(path: Path, root: Path, limits: Limits, memory: int) -> ScanInfo:
    limit_memory(memory)
    hoard = bytearray(memory * 2)  # more than allowed
    raise AssertionError(len(hoard))


def hanging_reader(path: Path, root: Path, limits: Limits, memory: int) -> ScanInfo:
    time.sleep(60)
    raise AssertionError("not reached")


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    return write_box_ply(tmp_path)


@pytest.mark.parametrize("reader, error", [
    (crashing_reader, CorruptFile), (greedy_reader, LimitExceeded), (hanging_reader, LimitExceeded)])
def test_reader_failures_become_typed_errors_and_the_next_file_still_works(scan, reader, error):
    with pytest.raises(error):
        start_inspection(scan, scan.parent, timeout=3, reader=reader)()
    assert inspect_isolated(scan, scan.parent).faces == 12  # a fresh worker took over
