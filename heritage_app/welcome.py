"""The page shown when no archive is open: open, create, try the demo, or a recent one."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from .icons import paint_app_icon


class WelcomePage(QWidget):
    openRequested = Signal()
    newRequested = Signal()
    demoRequested = Signal()
    recentRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.icon = QLabel()
        self.icon.setPixmap(paint_app_icon(96))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel()
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.open_button, self.new_button, self.demo_button = QPushButton(), QPushButton(), QPushButton()
        self.demo_button.setObjectName("demoButton")
        self.open_button.clicked.connect(self.openRequested)
        self.new_button.clicked.connect(self.newRequested)
        self.demo_button.clicked.connect(self.demoRequested)
        self.recent_label = QLabel()
        self.recent = QListWidget()
        self.recent.setMaximumHeight(160)
        self.recent.itemActivated.connect(lambda item: self.recentRequested.emit(item.text()))
        column = QVBoxLayout()
        column.addWidget(self.icon)
        column.addWidget(self.heading)
        column.addWidget(self.intro)
        for button in (self.open_button, self.new_button, self.demo_button):
            column.addWidget(button)
        column.addSpacing(12)
        column.addWidget(self.recent_label)
        column.addWidget(self.recent)
        host = QWidget()
        host.setMaximumWidth(520)
        host.setLayout(column)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(host, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.retranslate()

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        self.recent.addItems(paths)
        self.recent.setVisible(bool(paths))
        self.recent_label.setVisible(bool(paths))

    def retranslate(self) -> None:
        self.heading.setText(f"<h2>{self.tr('Heritage & Cuisine 3D Archive')}</h2>")
        self.intro.setText(
            self.tr(
                "Catalogue, view and preserve 3D scans of Huế's heritage and cuisine. "
                "Open an archive folder, create a new one, or explore the demo archive."
            )
        )
        self.open_button.setText(self.tr("Open an archive…"))
        self.new_button.setText(self.tr("Create a new archive…"))
        self.demo_button.setText(self.tr("Try the demo archive"))
        self.recent_label.setText(self.tr("Recent archives:"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
