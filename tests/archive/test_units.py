"""Units and up axis: a unit the file declares wins at import, and both can be corrected later
without touching the stored files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from archive import Archive, NotFound, ValidationError
from archive.importer import ImportOptions, import_paths

from .helpers import write_box_ply


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def _imported_asset(archive: Archive, source: Path, **asset_fields: str) -> dict:
    report = import_paths(archive, [source], ImportOptions(kind="relic", asset_fields=asset_fields, isolate=False))
    assert report.errors == []
    return archive.get(report.imported[0])["assets"][0]


# -- correcting an asset after import -----------------------------------------------------------
def test_update_asset_changes_units_and_logs_old_and_new(archive, tmp_path):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    version = archive.get(asset["item_id"])["version"]
    change = archive.update_asset(asset["id"], {"units": "m", "up_axis": "Z"})
    assert change.item_ids == [asset["item_id"]]
    assert change.fields == {"units": ("mm", "m"), "up_axis": (None, "z")}
    item = archive.get(asset["item_id"])
    assert (item["assets"][0]["units"], item["assets"][0]["up_axis"]) == ("m", "z")
    assert item["version"] == version + 1
    edits = [e for e in archive.history(asset["item_id"]) if e["type"] == "edit"]
    assert {(e["field"], e["old_value"], e["new_value"], e["asset_id"]) for e in edits} == {
        ("units", "mm", "m", asset["id"]), ("up_axis", None, "z", asset["id"])}


def test_update_asset_never_touches_the_stored_files(archive, tmp_path):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    stored = archive.asset_path(asset)
    before = stored.read_bytes()
    archive.update_asset(asset["id"], {"units": "cm"})
    assert stored.read_bytes() == before
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == asset["files"][0]["sha256"]
    assert archive.verify().ok


def test_update_asset_with_the_same_value_changes_nothing(archive, tmp_path):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    events = len(archive.history(asset["item_id"]))
    assert archive.update_asset(asset["id"], {"units": "mm"}).item_ids == []
    assert len(archive.history(asset["item_id"])) == events


@pytest.mark.parametrize("changes", [{"units": "furlong"}, {"up_axis": "w"}, {"sha256": "0"}, {"main_file": "x"}])
def test_update_asset_refuses_bad_values_and_non_asset_fields(archive, tmp_path, changes):
    asset = _imported_asset(archive, write_box_ply(tmp_path / "in"), units="mm")
    with pytest.raises(ValidationError):
        archive.update_asset(asset["id"], changes)
    assert archive.get(asset["item_id"])["assets"][0]["units"] == "mm"


def test_update_asset_of_a_missing_asset_is_not_found(archive):
    with pytest.raises(NotFound):
        archive.update_asset(999, {"units": "m"})
