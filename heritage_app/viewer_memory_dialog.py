"""Settings › 3D viewer memory: how much memory the viewer may give a big scan's levels of
detail, with what the scan on screen takes now. A smaller budget shows a lighter level at
rest; picking and measuring stay at full resolution either way (the master's index)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from .settings import MB, automatic_viewer_budget

#: The most a user can give the viewer (MB): beyond what any desktop holds, so never the limit.
MAX_MB = 256 * 1024


class ViewerMemoryDialog(QDialog):
    """Edit the viewer's memory budget in MB (0 shows "Automatic"), with what the scan on
    ``viewer``'s screen takes now (a ``ViewerWidget`` or None), refreshed every second."""

    def __init__(self, budget_mb: int, viewer: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.setWindowTitle(self.tr("3D viewer memory"))
        auto = automatic_viewer_budget() // MB
        self.spin = QSpinBox(self, minimum=0, maximum=MAX_MB, singleStep=256, value=budget_mb)
        self.spin.setSuffix(" MB")
        self.spin.setSpecialValueText(self.tr("Automatic ({mb} MB)").format(mb=f"{auto:,}"))
        self.spin.valueChanged.connect(self._show_use)
        self.use = QLabel(self)
        explain = QLabel(self.tr(
            "Big scans open from lighter copies. When the view is still, the most detailed copy that fits "
            "this memory is shown. Picking and measuring always use the full scan. Automatic is an eighth "
            "of this computer's memory, between 512 MB and 2 GB."), self, wordWrap=True)
        form = QFormLayout()
        form.addRow(self.tr("Memory for the 3D view:"), self.spin)
        form.addRow(self.tr("In use now:"), self.use)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._show_use)
        self._timer.start()
        self._show_use()

    def budget_mb(self) -> int:
        """The chosen budget in MB; 0 means automatic."""
        return int(self.spin.value())

    def _show_use(self) -> None:
        v = self.viewer
        budget = (self.budget_mb() * MB or automatic_viewer_budget()) // MB
        if v is None or v.session.model is None:
            self.use.setText(self.tr("nothing (no scan is open in the 3D view)"))
        else:
            used = v.memory_in_use()
            self.use.setText(self.tr("{used} MB of {budget} MB").format(used=f"{used // MB:,}", budget=f"{budget:,}"))
