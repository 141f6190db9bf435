"""Saved scan comparisons (archive.comparisons, archive.comparisons_io): rows with their
parameters, summary and transform, events, derived files, checks, and their travels (bags,
backups); on both engines. The figures here are given, not computed: the archive keeps what
``viewer.compare`` found (tests/viewer/test_compare.py tests the finding)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bagit
import pytest

from archive import Archive, ImportOptions, NotFound, ValidationError
from archive.backup import backup, restore
from archive.publish import export_bag, import_bag
from archive.publish.bagit import import_bag_report

from .helpers import write_box_ply

SUMMARY = {"points": 1000, "mean": -0.4, "mean_abs": 0.41, "rms": 0.9, "p95": 3.2, "max": 4.0, "min_signed": -4.0,
           "max_signed": 0.3, "beyond_tolerance": 0.12}
PARAMS = {"tolerance": 0.5, "sample_points": 1_000_000, "align": "pairs", "icp": True, "icp_points": 30_000,
          "seed": 7, "pairs": [[[0, 0, 0], [1, 0, 0]], [[5, 0, 0], [6, 0, 0]], [[0, 5, 0], [1, 5, 0]]]}
SHIFT = [[1.0, 0, 0, -1.0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]]


@pytest.fixture
def archive(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Archive.create(tmp_path / "archive") as a:
        yield a


def _versions(archive: Archive, tmp_path: Path) -> tuple[int, int, int]:
    """An item with two master versions (a box, then a bigger box): (item, version 1, version 2)."""
    options = ImportOptions(asset_fields={"units": "mm"})
    first = archive.import_paths([write_box_ply(tmp_path / "v1", "box.ply", 10.0)], options)
    item = first.imported[0]
    second = archive.import_paths([write_box_ply(tmp_path / "v2", "box.ply", 10.5)],
                                  ImportOptions(item_id=item, asset_fields={"units": "mm"}))
    assert not second.errors, second.errors
    v1, v2 = (a["id"] for a in archive.assets(item))
    return item, v1, v2


def _derived(tmp_path: Path) -> Path:
    folder = tmp_path / "derived-files"
    folder.mkdir(exist_ok=True)
    (folder / "deviations.npz").write_bytes(b"npz bytes")
    (folder / "report.html").write_text("<p>report</p>", encoding="utf-8")
    return folder


def _save(archive: Archive, reference: int, compared: int, files: Path | None = None, **changes: Any) -> int:
    values: dict[str, Any] = {"parameters": PARAMS, "summary": SUMMARY, "transform": SHIFT, "unit": "mm",
                              "fitness": 0.98, "files": files}
    values.update(changes)
    return archive.save_comparison(reference, compared, **values)


def test_a_saved_comparison_keeps_parameters_summary_and_transform(archive, tmp_path):
    item, v1, v2 = _versions(archive, tmp_path)
    cid = _save(archive, v1, v2, _derived(tmp_path))
    c = archive.comparison(cid)
    assert (c["item_id"], c["asset_id"], c["compared_item_id"], c["compared_asset_id"]) == (item, v1, item, v2)
    assert c["parameters"] == PARAMS and c["transform"] == SHIFT
    assert c["summary"] == {**SUMMARY, "tolerance": 0.5, "unit": "mm", "fitness": 0.98}
    assert c["compared"]["version"] == 2 and c["reference"]["version"] == 1
    assert c["compared"]["accession"] == archive.get(item)["accession"] and len(c["compared"]["sha256"]) == 64
    assert c["created_by"] == archive.agent and len(c["uid"]) == 32
    assert c["files"] == ["deviations.npz", "report.html"]
    assert Path(c["folder"]) == archive.root / "derived" / "comparisons" / c["uid"]
    assert (Path(c["folder"]) / "deviations.npz").read_bytes() == b"npz bytes"
    assert [x["id"] for x in archive.comparisons(item)] == [cid]


def test_saving_and_deleting_are_events(archive, tmp_path):
    item, v1, v2 = _versions(archive, tmp_path)
    cid = _save(archive, v1, v2, _derived(tmp_path))
    saved = [e for e in archive.history(item) if e["type"] == "comparison_saved"]
    assert len(saved) == 1 and saved[0]["asset_id"] == v1
    detail = json.loads(saved[0]["detail"])
    assert detail == {"comparison": cid, "uid": archive.comparison(cid)["uid"], "compared_item": item,
                      "compared_asset": v2}
    assert json.loads(saved[0]["new_value"])["summary"]["rms"] == 0.9
    folder = Path(archive.comparison(cid)["folder"])
    change = archive.delete_comparison(cid)
    assert change.item_ids == [item]
    deleted = [e for e in archive.history(item) if e["type"] == "comparison_deleted"]
    assert len(deleted) == 1 and json.loads(deleted[0]["old_value"])["parameters"] == PARAMS
    assert archive.comparisons(item) == [] and not folder.exists()
    with pytest.raises(NotFound):
        archive.comparison(cid)


def test_comparing_two_items_lists_it_on_both(archive, tmp_path):
    item, v1, _v2 = _versions(archive, tmp_path)
    other = archive.import_paths([write_box_ply(tmp_path / "o", "other.ply", 11.0)]).imported[0]
    other_asset = archive.assets(other)[0]["id"]
    cid = _save(archive, v1, other_asset)
    assert [c["id"] for c in archive.comparisons(other)] == [cid]
    assert archive.comparison(cid)["compared_item_id"] == other and archive.comparison(cid)["files"] == []


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"summary": {**SUMMARY, "rms": float("nan")}}, "summary.rms", "not_number"),
    ({"summary": {k: v for k, v in SUMMARY.items() if k != "p95"}}, "summary.p95", "not_number"),
    ({"summary": {**SUMMARY, "beyond_tolerance": 1.5}}, "summary.beyond_tolerance", "range"),
    ({"summary": {**SUMMARY, "max": -1.0}}, "summary.max", "range"),
    ({"parameters": {**PARAMS, "tolerance": "half"}}, "parameters.tolerance", "not_number"),
    ({"parameters": {"tolerance": 0.5, "x": float("inf")}}, "parameters", "not_json"),
    ({"parameters": {"tolerance": 0.5, "pairs": ["x" * 70_000]}}, "parameters", "too_long"),
    ({"transform": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}, "transform", "not_transform"),
    ({"transform": [[2.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]}, "transform", "not_rigid"),
    ({"transform": [[-1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]}, "transform", "not_rigid"),
    ({"unit": "furlong"}, "unit", "not_a_choice"),
    ({"fitness": 2.0}, "fitness", "range"),
])
def test_bad_values_are_refused_and_nothing_is_kept(archive, tmp_path, change, field, code):
    item, v1, v2 = _versions(archive, tmp_path)
    with pytest.raises(ValidationError) as caught:
        _save(archive, v1, v2, _derived(tmp_path), **change)
    problems = getattr(caught.value, "problems", [caught.value])
    assert (field, code) in [(p.field, p.code) for p in problems]
    assert archive.comparisons(item) == []
    assert not (archive.root / "derived" / "comparisons").exists() or \
        not any((archive.root / "derived" / "comparisons").iterdir())
    assert not [e for e in archive.history(item) if e["type"] == "comparison_saved"]


def test_every_bad_value_is_named_at_once(archive, tmp_path):
    _item, v1, v2 = _versions(archive, tmp_path)
    with pytest.raises(ValidationError) as caught:
        _save(archive, v1, v2, summary={**SUMMARY, "rms": None}, transform="no", unit="ft")
    assert {p.field for p in caught.value.problems} == {"summary.rms", "transform", "unit"}  # type: ignore[attr-defined]


def test_unknown_scans_and_photos_are_refused(archive, tmp_path):
    _item, v1, _v2 = _versions(archive, tmp_path)
    with pytest.raises(ValidationError) as caught:
        _save(archive, v1, 9999)
    assert caught.value.field == "compared_asset_id" and caught.value.code == "not_found"


def test_derived_files_must_be_plain_files_with_simple_names(archive, tmp_path):
    item, v1, v2 = _versions(archive, tmp_path)
    files = _derived(tmp_path)
    (files / "bad name.png").write_bytes(b"x")
    with pytest.raises(ValidationError) as caught:
        _save(archive, v1, v2, files)
    assert caught.value.code == "bad_name" and archive.comparisons(item) == []
    (files / "bad name.png").unlink()
    (files / "link.png").symlink_to(tmp_path / "v1" / "box.ply")
    (files / "sub").mkdir()
    cid = _save(archive, v1, v2, files)
    assert archive.comparison(cid)["files"] == ["deviations.npz", "report.html"]  # no link, no folder


def test_a_failed_insert_leaves_no_derived_files(archive, tmp_path, monkeypatch):
    item, v1, v2 = _versions(archive, tmp_path)

    def broken(row: dict[str, Any]) -> int:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(archive.catalogue, "insert_comparison", broken)
    with pytest.raises(RuntimeError):
        _save(archive, v1, v2, _derived(tmp_path))
    assert not any((archive.root / "derived" / "comparisons").iterdir())


def test_rebuilt_files_replace_the_old_ones(archive, tmp_path):
    _item, v1, v2 = _versions(archive, tmp_path)
    cid = _save(archive, v1, v2, _derived(tmp_path))
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    (rebuilt / "deviations.npz").write_bytes(b"again")
    archive.keep_comparison_files(cid, rebuilt)
    c = archive.comparison(cid)
    assert c["files"] == ["deviations.npz"] and (Path(c["folder"]) / "deviations.npz").read_bytes() == b"again"
    assert not [p for p in Path(c["folder"]).parent.iterdir() if p.name.startswith(".")]


def test_deleting_an_item_takes_its_comparisons_and_keeps_those_against_it(archive, tmp_path):
    item, v1, _v2 = _versions(archive, tmp_path)
    other = archive.import_paths([write_box_ply(tmp_path / "o", "other.ply", 11.0)]).imported[0]
    other_asset = archive.assets(other)[0]["id"]
    own = _save(archive, other_asset, v1, _derived(tmp_path))  # the other item is the reference
    against = _save(archive, v1, other_asset)  # the other item is the compared scan
    own_folder = Path(archive.comparison(own)["folder"])
    moved = archive.delete(other, confirmed=True)
    with pytest.raises(NotFound):
        archive.comparison(own)
    assert not own_folder.exists()
    kept = archive.comparison(against)
    assert kept["compared_item_id"] is None and kept["compared_asset_id"] is None
    assert kept["compared"]["main_file"] == "other.ply" and kept["summary"]["rms"] == 0.9
    copy = json.loads((moved / "item.json").read_text(encoding="utf-8"))
    assert {c["id"] for c in copy["comparisons"]} == {own, against}  # kept with the deleted item's copy
    assert [c["id"] for c in archive.comparisons(item)] == [against]


# -- travels -------------------------------------------------------------------------------------
def _resave(bag: Path) -> None:
    bagit.Bag(str(bag)).save(manifests=True)


def test_a_bag_carries_the_comparisons_and_another_archive_gets_them(archive, tmp_path):
    item, v1, v2 = _versions(archive, tmp_path)
    cid = _save(archive, v1, v2, _derived(tmp_path))
    uid = archive.comparison(cid)["uid"]
    bag = export_bag(archive, item, tmp_path / "bags")
    carried = json.loads((bag / "data" / "metadata" / "comparisons.json").read_text(encoding="utf-8"))
    assert [(c["asset"], c["compared_asset"], c["uid"]) for c in carried] == [(1, 2, uid)]
    with Archive.create(tmp_path / "other") as other:
        new_item = import_bag(other, bag)
        [c] = other.comparisons(new_item)
        new_v1, new_v2 = (a["id"] for a in other.assets(new_item))
        assert (c["asset_id"], c["compared_asset_id"], c["uid"]) == (new_v1, new_v2, uid)
        assert c["summary"] == archive.comparison(cid)["summary"] and c["parameters"] == PARAMS
        assert c["created_at"] == archive.comparison(cid)["created_at"] and c["files"] == []
        ingest = [e for e in other.history(new_item) if e["type"] == "ingest"][-1]
        assert json.loads(ingest["detail"])["comparisons"] == 1


def test_a_bag_comparison_against_a_scan_not_here_keeps_its_figures(archive, tmp_path):
    item, v1, _v2 = _versions(archive, tmp_path)
    other = archive.import_paths([write_box_ply(tmp_path / "o", "other.ply", 11.0)]).imported[0]
    _save(archive, v1, archive.assets(other)[0]["id"])
    bag = export_bag(archive, item, tmp_path / "bags")
    with Archive.create(tmp_path / "other") as there:
        report = import_bag_report(there, bag)
        [c] = there.comparisons(report.item_id)
        assert c["compared_asset_id"] is None and c["compared"]["main_file"] == "other.ply"
        assert any("not in this archive" in note for note in report.notes)
    with Archive.create(tmp_path / "third") as third:  # where the other scan is: linked by its bytes
        third_other = third.import_paths([tmp_path / "o" / "other.ply"],
                                         ImportOptions(item_fields={"accession": "X-1"})).imported[0]
        [c] = third.comparisons(import_bag(third, bag))
        assert c["compared_item_id"] == third_other


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c[0].update(asset=7), "names asset 7"),
    (lambda c: c[0].update(sql="DROP TABLE items"), "unknown key 'sql'"),
    (lambda c: c[0].update(transform=[[1, 2, 3, 4]] * 4), "comparison 1 in the bag is not valid"),
    (lambda c: c[0]["summary"].update(rms="1; DROP"), "comparison 1 in the bag is not valid"),
])
def test_a_hostile_bag_comparison_stops_the_whole_import(archive, tmp_path, change, message):
    item, v1, v2 = _versions(archive, tmp_path)
    _save(archive, v1, v2)
    bag = export_bag(archive, item, tmp_path / "bags")
    path = bag / "data" / "metadata" / "comparisons.json"
    carried = json.loads(path.read_text(encoding="utf-8"))
    change(carried)
    path.write_text(json.dumps(carried), encoding="utf-8")
    _resave(bag)
    with Archive.create(tmp_path / "other") as other:
        with pytest.raises(Exception, match=message):
            import_bag(other, bag)
        assert other.count() == 0


def test_a_bag_from_before_comparisons_still_imports(archive, tmp_path):
    item, _v1, _v2 = _versions(archive, tmp_path)
    bag = export_bag(archive, item, tmp_path / "bags")
    (bag / "data" / "metadata" / "comparisons.json").unlink()
    _resave(bag)
    with Archive.create(tmp_path / "other") as other:
        assert other.comparisons(import_bag(other, bag)) == []


def test_backup_and_restore_keep_comparisons_and_their_files(archive, tmp_path):
    item, v1, v2 = _versions(archive, tmp_path)
    cid = _save(archive, v1, v2, _derived(tmp_path))
    before = archive.comparison(cid)
    copy = backup(archive, tmp_path / "backup")
    restored = restore(copy, tmp_path / "restored")
    with Archive.open(restored) as again:
        after = again.comparison(cid)
        assert {k: v for k, v in after.items() if k != "folder"} == {k: v for k, v in before.items() if k != "folder"}
        assert (Path(after["folder"]) / "deviations.npz").read_bytes() == b"npz bytes"
        assert [c["id"] for c in again.comparisons(item)] == [cid]


def test_a_backup_naming_a_hostile_uid_copies_nothing_outside(archive, tmp_path):
    from archive.comparisons_io import copy_comparison_files

    _item, v1, v2 = _versions(archive, tmp_path)
    _save(archive, v1, v2, _derived(tmp_path))
    snapshot = tmp_path / "snap.sqlite"
    archive.catalogue.snapshot(snapshot)
    import sqlite3

    conn = sqlite3.connect(snapshot)
    conn.execute("UPDATE comparisons SET uid = '../../../../etc'")
    conn.commit()
    conn.close()
    (tmp_path / "dest").mkdir()
    assert copy_comparison_files(archive.root, tmp_path / "dest", snapshot) == 0
    assert not (tmp_path / "dest" / "derived").exists()
