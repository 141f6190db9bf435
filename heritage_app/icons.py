"""Icons drawn in code: the app icon (a glazed roof tile over a bowl, in imperial yellow
and Huế blue) and placeholders per kind for items without a thumbnail. ``python -m
heritage_app.icons`` writes the app icon to ``assets/icons`` for desktop integration."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap

YELLOW = QColor("#e8b730")
BLUE = QColor("#1f4e79")
RED = QColor("#9b2d20")
KIND_COLOURS = {"relic": QColor("#8a6d3b"), "dish": QColor("#b5522b"), "other": QColor("#5b6b7a")}


def paint_app_icon(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(BLUE)
    p.drawRoundedRect(QRectF(2 * s, 2 * s, 60 * s, 60 * s), 12 * s, 12 * s)
    roof = QPainterPath()  # curved roof of a Huế palace
    roof.moveTo(8 * s, 30 * s)
    roof.quadTo(32 * s, 12 * s, 56 * s, 30 * s)
    roof.quadTo(32 * s, 22 * s, 8 * s, 30 * s)
    p.setBrush(YELLOW)
    p.drawPath(roof)
    p.setBrush(QColor("#f4f1e8"))  # bowl
    bowl = QPainterPath()
    bowl.moveTo(14 * s, 36 * s)
    bowl.lineTo(50 * s, 36 * s)
    bowl.quadTo(48 * s, 54 * s, 32 * s, 54 * s)
    bowl.quadTo(16 * s, 54 * s, 14 * s, 36 * s)
    p.drawPath(bowl)
    p.setPen(QPen(BLUE, 2 * s))
    p.drawLine(QPointF(18 * s, 42 * s), QPointF(46 * s, 42 * s))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(RED)
    p.drawEllipse(QPointF(32 * s, 24 * s), 3 * s, 3 * s)
    p.end()
    return pixmap


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(paint_app_icon(size))
    return icon


@cache
def placeholder(kind: str, size: int) -> QPixmap:
    """A neutral tile with the kind's initial, shown until (or instead of) a thumbnail."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = KIND_COLOURS.get(kind, KIND_COLOURS["other"])
    p.setBrush(QBrush(colour.lighter(170)))
    p.setPen(QPen(colour, max(1, size // 48)))
    p.drawRoundedRect(QRectF(1, 1, size - 2, size - 2), size / 10, size / 10)
    font = QFont()
    font.setPixelSize(max(8, size // 3))
    font.setBold(True)
    p.setFont(font)
    p.setPen(colour)
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, {"relic": "R", "dish": "D"}.get(kind, "·"))
    p.end()
    return pixmap


def write_assets(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in (64, 256, 512):
        path = folder / f"heritage-app-{size}.png"
        paint_app_icon(size).save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv)
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "assets" / "icons"
    for written_path in write_assets(target):
        print(written_path)
