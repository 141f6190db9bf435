"""The frame view keeps what it paints cheap: a shrunk moving frame, stretched on every
paint, is held as 32-bit pixels (Qt stretches those several times faster than 24-bit ones)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from heritage_app.frame_view import FrameView


def _frame(w: int, h: int) -> np.ndarray:
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    return rgb


def test_a_frame_of_the_view_size_is_kept_as_it_came(qtbot) -> None:
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(320, 200)
    view.show_frame(_frame(320, 200))
    assert view.image is not None and view.image.format() == QImage.Format.Format_RGB888
    assert view.image.pixelColor(5, 5).getRgb()[:3] == (200, 100, 50)


def test_a_shrunk_frame_is_held_as_32_bit_pixels_with_the_same_colours(qtbot) -> None:
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(320, 200)
    view.show_frame(_frame(160, 100))
    assert view.image is not None and view.image.format() == QImage.Format.Format_RGB32
    assert (view.image.width(), view.image.height()) == (160, 100)
    assert view.image.pixelColor(5, 5).getRgb()[:3] == (200, 100, 50)
    view.grab()  # paints it stretched without complaint
