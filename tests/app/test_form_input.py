"""The mouse wheel never changes a field the user is not working in: over an unfocused combo box,
spin box, date or slider it scrolls the form; a focused field still takes it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from heritage_app.field_widgets import install_wheel_guard


def wheel_down(widget: QWidget) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre)), QPoint(), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def shown_value(field: QWidget) -> object:
    if isinstance(field, QComboBox):
        return field.currentIndex()
    return field.date() if isinstance(field, QDateEdit) else field.value()  # type: ignore[attr-defined]


def shown_editor(qtbot, window):
    window.view.select_item(window.archive.find_by_accession("T-0001"))
    window.show()
    qtbot.waitExposed(window)
    editor = window.detail.editor
    editor.scroll.verticalScrollBar().setValue(0)
    return editor, editor.rows["kind"].editor.combo


def test_wheel_over_an_unfocused_combo_scrolls_the_form_and_keeps_the_value(qtbot, window):
    editor, combo = shown_editor(qtbot, window)
    assert not combo.hasFocus() and editor.scroll.verticalScrollBar().maximum() > 0
    wheel_down(combo)
    assert combo.currentData() == "relic"
    assert not editor.is_dirty()
    assert editor.scroll.verticalScrollBar().value() > 0


def test_wheel_over_the_focused_combo_changes_it(qtbot, window):
    editor, combo = shown_editor(qtbot, window)
    window.activateWindow()
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=2000)
    wheel_down(combo)
    assert combo.currentData() != "relic"


@pytest.mark.parametrize("make", [QComboBox, QSpinBox, QDateEdit, lambda: QSlider(Qt.Orientation.Horizontal)])
def test_every_value_widget_of_the_app_ignores_the_wheel_unless_focused(qtbot, make):
    install_wheel_guard()
    area = QScrollArea()
    qtbot.addWidget(area)
    host = QWidget()
    column = QVBoxLayout(host)
    field = make()
    if isinstance(field, QComboBox):
        field.addItems(["one", "two", "three"])
    column.addWidget(field)
    column.addSpacing(2000)
    area.setWidget(host)
    area.resize(300, 200)
    area.show()
    qtbot.waitExposed(area)
    before = shown_value(field)
    wheel_down(field)
    assert shown_value(field) == before
    assert area.verticalScrollBar().value() > 0
    assert field.focusPolicy() != Qt.FocusPolicy.WheelFocus  # the wheel cannot focus it first
