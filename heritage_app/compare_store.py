"""Scan comparisons between the viewer and the archive, without Qt (the CLI and the compare
dialog both use it): which scans an item offers, keeping a comparison with its derived files,
and bringing a kept one back to show its heat map again.

The archive keeps what ``viewer.compare`` found (it never runs the viewer); the files it keeps
beside the row are ``deviations.npz`` and the HTML report (``viewer.compare_report``).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from archive import Archive
from viewer import Model
from viewer.compare import Comparison, params_from_record, restored_comparison

#: units a scan may be read in (the viewer's); anything else is read as unknown
VIEWER_UNITS = ("mm", "cm", "m")


def scan_versions(archive: Archive, item_id: int) -> list[dict[str, Any]]:
    """The item's scans a comparison can use, oldest first: its master versions (else every
    3D asset), each with ``version`` (1 = oldest), as ``heritage compare ITEM:VERSION`` counts."""
    assets = [a for a in archive.assets(item_id) if a.get("role") != "photo"]
    masters = [a for a in assets if a.get("role") == "master"] or assets
    return [{**a, "version": n} for n, a in enumerate(masters, start=1)]


def scan_source(archive: Archive, asset: dict[str, Any]) -> tuple[str, str | None, str]:
    """(file to read, units, up axis) of an archived scan, through the one door for readers."""
    from .up_axis import recorded_up_axis

    units = asset.get("units") if asset.get("units") in VIEWER_UNITS else None
    return str(archive.readable(asset).main), units, recorded_up_axis(asset)


def keep_comparison(archive: Archive, reference_asset_id: int, compared_asset_id: int, result: Comparison,
                    compared: Model, snapshot: Any = None, render: bool = True) -> int:
    """Save ``result`` (``compared`` measured against the reference) as a comparison of the two
    scans with its derived files (deviations, report); returns its id."""
    from viewer.compare_report import write_comparison_files

    with tempfile.TemporaryDirectory(prefix="heritage-compare-") as tmp:
        write_comparison_files(result, compared, tmp, snapshot, render)
        return archive.save_comparison(
            reference_asset_id, compared_asset_id, parameters=asdict(result.params), summary=result.summary(),
            transform=result.transform.tolist(), unit=result.units, fitness=result.fitness, files=Path(tmp))


def kept_result(comparison: dict[str, Any], compared: Model) -> Comparison:
    """The saved ``comparison`` (``Archive.comparison``) again, from its derived deviations and the
    compared scan; raises ViewerError when they are missing or do not fit (run it again)."""
    from viewer.compare_report import read_derived

    kept = read_derived(comparison["folder"])
    summary = comparison["summary"]
    return restored_comparison(compared, summary.get("unit"), params_from_record(comparison["parameters"]),
                               kept["transform"], kept["sample_index"], kept["deviations"],
                               summary.get("fitness") or 0.0)


def rerun_params(comparison: dict[str, Any]) -> Any:
    """The parameters to run a saved comparison again with (its derived files went missing)."""
    return params_from_record(comparison["parameters"])


def version_label(description: dict[str, Any]) -> str:
    """"HUE-000001 v2 (box.ply)": a scan as ``Archive.comparison`` describes it."""
    version = f" v{description['version']}" if description.get("version") else ""
    return f"{description.get('accession') or '?'}{version} ({description.get('main_file') or '?'})"
