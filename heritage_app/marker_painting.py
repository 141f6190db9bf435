"""Markers, measurement lines and labels painted over a viewer frame (a 2D overlay: the
same size on screen at any zoom, never hidden inside the surface they mark)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage, QPainter, QPen

from viewer.markers import Overlay


def paint_overlay(image: QImage, ov: Overlay) -> QImage:
    """``image`` with the overlay drawn on it: screen-size dots, lines with a dark halo,
    labels on a dark plate with a light rim (readable on any background)."""
    if not len(ov.dots):
        return image
    image = image.convertToFormat(QImage.Format.Format_RGB32)  # a painter needs an image it owns
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    for line, colour in ov.lines:
        for width, c in ((4, QColor(0, 0, 0)), (2, QColor(*colour))):
            p.setPen(QPen(c, width))
            for a, b in zip(line[:-1].tolist(), line[1:].tolist(), strict=True):
                p.drawLine(int(a[0]), int(a[1]), int(b[0]), int(b[1]))
    p.setPen(QPen(QColor(0, 0, 0), 1))
    for (x, y), colour in zip(ov.dots.tolist(), ov.dot_colours.tolist(), strict=True):
        p.setBrush(QColor(*colour))
        p.drawEllipse(int(x) - 4, int(y) - 4, 8, 8)
    fm = p.fontMetrics()
    for (x, y), text, colour in ov.labels:
        w, h = fm.horizontalAdvance(text) + 10, fm.height() + 4
        x0, y0 = int(x) + 8, int(y) - h // 2
        p.setPen(QPen(QColor(235, 235, 235), 1))
        p.setBrush(QColor(24, 26, 30))
        p.drawRect(x0, y0, w, h)
        p.fillRect(x0, y0, 3, h, QColor(*colour))
        p.setPen(QColor(255, 255, 255))
        p.drawText(x0 + 6, y0 + 2 + fm.ascent(), text)
    p.end()
    return image
