"""Guard against the PySide6 build that crashes on Python 3.11 (6.12.0 loses a reference to
None on every void call, until the interpreter aborts with "none_dealloc")."""

from __future__ import annotations

import sys


def test_void_qt_calls_keep_references_to_none():
    from PySide6.QtCore import QRect

    rect = QRect(0, 0, 1, 1)
    before = sys.getrefcount(None)
    for _ in range(1000):
        rect.setWidth(1)
    assert sys.getrefcount(None) >= before - 10
