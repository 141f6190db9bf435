"""Workers of the compare dialog: read the scans in the isolated reader and compare them, or bring
a kept comparison back (from its derived deviations, else by running it again with its saved
parameters). Paths are resolved on the GUI thread (the window's archive); nothing here touches
the archive or a widget."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viewer import Model, ViewerError, load_model_isolated
from viewer.compare import CompareParams, Comparison, compare

from .viewer_tasks import ViewerTask


@dataclass
class ScanSource:
    """A scan to read: a file with its units, or a model already loaded (the one on screen).
    ``asset_id`` is set for an archived scan (a comparison of two of them can be kept)."""

    path: str | None = None
    units: str | None = None
    up_axis: str = "y"  # only how it stands (the comparison itself is made in the files' own frames)
    model: Model | None = None
    asset_id: int | None = None
    label: str = ""

    def load(self, task: ViewerTask) -> Model:
        if self.model is not None:
            return self.model
        assert self.path is not None
        return load_model_isolated(self.path, units=self.units, up_axis=self.up_axis, cancel=task.cancel)


class CompareTask(ViewerTask):
    """Read both scans (isolated reader) and compare; succeeds with (Comparison, compared Model)."""

    def __init__(self, reference: ScanSource, compared: ScanSource, params: CompareParams) -> None:
        super().__init__()
        self.reference, self.compared, self.params = reference, compared, params

    def work(self) -> tuple[Comparison, Model]:
        reference = self.reference.load(self)
        compared = self.compared.load(self)
        return compare(reference, compared, self.params, cancel=self.cancel), compared

    def unexpected(self, exc: Exception) -> str:
        return f"The comparison failed ({type(exc).__name__}: {exc})."


class KeptComparisonTask(ViewerTask):
    """A kept comparison again: succeeds with (Comparison, compared Model, folder of rebuilt
    files or None). Its derived deviations are read when they fit; else it runs again with the
    saved parameters and writes the files anew into a temporary folder for the dialog to keep."""

    def __init__(self, comparison: dict[str, Any], reference: ScanSource, compared: ScanSource) -> None:
        super().__init__()
        self.comparison, self.reference, self.compared = comparison, reference, compared
        self.rebuilt: tempfile.TemporaryDirectory[str] | None = None

    def work(self) -> tuple[Comparison, Model, Path | None]:
        from viewer.compare_report import write_comparison_files

        from .compare_store import kept_result, rerun_params

        compared = self.compared.load(self)
        try:
            return kept_result(self.comparison, compared), compared, None
        except ViewerError:
            pass  # missing, damaged or of another scan: derived files are rebuilt from the parameters
        result = compare(self.reference.load(self), compared, rerun_params(self.comparison), cancel=self.cancel)
        self.rebuilt = tempfile.TemporaryDirectory(prefix="heritage-compare-")
        write_comparison_files(result, compared, self.rebuilt.name)
        return result, compared, Path(self.rebuilt.name)

    def unexpected(self, exc: Exception) -> str:
        return f"The kept comparison could not be shown ({type(exc).__name__}: {exc})."
