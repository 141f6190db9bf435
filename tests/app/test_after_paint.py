"""Work deferred until a window's first paint (opening a big archive: the first screen first)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from heritage_app.after_paint import AfterFirstPaint


class LoggingWidget(QWidget):
    def __init__(self, log: list[str]):
        super().__init__()
        self.log = log

    def paintEvent(self, event):  # noqa: N802 - Qt override
        self.log.append("paint")
        super().paintEvent(event)


def test_work_for_a_shown_window_runs_after_its_first_paint(qtbot):
    log: list[str] = []
    widget = LoggingWidget(log)
    qtbot.addWidget(widget)
    after = AfterFirstPaint(widget)
    widget.show()
    after.call(lambda: log.append("work"))
    assert log == []  # not from call() itself
    qtbot.waitUntil(lambda: "work" in log, timeout=5000)
    assert log.index("paint") < log.index("work")


def test_work_after_the_first_paint_runs_at_the_next_turn(qtbot):
    log: list[str] = []
    widget = LoggingWidget(log)
    qtbot.addWidget(widget)
    after = AfterFirstPaint(widget)
    widget.show()
    qtbot.waitUntil(lambda: "paint" in log, timeout=5000)
    qtbot.wait(10)
    after.call(lambda: log.append("late"))
    assert "late" not in log
    qtbot.waitUntil(lambda: "late" in log, timeout=1000)


def test_work_for_a_window_never_shown_does_not_wait_for_a_paint(qtbot):
    log: list[str] = []
    widget = LoggingWidget(log)
    qtbot.addWidget(widget)
    after = AfterFirstPaint(widget)
    after.call(lambda: log.append("first"))
    after.call(lambda: log.append("second"))
    qtbot.waitUntil(lambda: len(log) == 2, timeout=AfterFirstPaint.LONGEST_WAIT_MS // 2)
    assert log == ["first", "second"]


def test_work_for_a_shown_window_that_never_paints_runs_after_the_longest_wait(qtbot, monkeypatch):
    monkeypatch.setattr(AfterFirstPaint, "LONGEST_WAIT_MS", 300)
    log: list[str] = []
    widget = LoggingWidget(log)
    qtbot.addWidget(widget)
    after = AfterFirstPaint(widget)
    widget.removeEventFilter(after)  # as if the window system never exposed it
    widget.show()
    after.call(lambda: log.append("work"))
    qtbot.waitUntil(lambda: "work" in log, timeout=3000)


def test_opening_an_archive_counts_its_items_after_the_first_paint(qtbot, window, small_archive):
    window.show()
    window.statusBar().clearMessage()
    assert window.open_archive(small_archive)
    assert window.model.rowCount() > 0  # the list's rows are there for the first paint
    assert "Opened" not in window.statusBar().currentMessage()  # the count of every item waits
    qtbot.waitUntil(lambda: "Opened" in window.statusBar().currentMessage(), timeout=5000)
    assert window.after_paint._painted
