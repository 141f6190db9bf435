"""Records across master versions (archive.research_carry): a new master with the same
geometry carries the records over as they were; any other geometry carries them flagged
``needs_review``, with events naming the old asset and the reason. Nothing is deleted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive import Archive, ImportOptions
from archive.research_carry import same_geometry


@pytest.fixture
def archive(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Archive.create(tmp_path / "archive") as a:
        yield a


def _sphere() -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=2, radius=12.0)


def _write(mesh: trimesh.Trimesh, folder: Path, name: str, **kwargs: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    mesh.export(folder / name, **kwargs)
    return folder / name


def _import(archive: Archive, path: Path, item_id: int | None = None, units: str = "mm", role: str = "master") -> int:
    options = ImportOptions(item_id=item_id, asset_fields={"units": units, "role": role})
    report = archive.import_paths([path], options)
    assert not report.errors, report.errors
    return report.imported[0]


def _item_with_records(archive: Archive, tmp_path: Path) -> tuple[int, list[int]]:
    item = _import(archive, _write(_sphere(), tmp_path / "v1", "vase.ply"))
    ids = [archive.add_record(item, "measurement", [[0, 0, -12], [0, 0, 12]], measure="distance"),
           archive.add_record(item, "annotation", [[12, 0, 0]], title_vi="Quai", normal=[1, 0, 0], public=True)]
    return item, ids


def _carry_events(archive: Archive, item: int) -> list[dict]:
    return [e for e in archive.history(item) if e["type"] == "record_changed"
            and "carried_from" in json.loads(e["detail"])]


def test_the_same_geometry_in_other_bytes_carries_the_records_as_they_were(archive, tmp_path):
    item, ids = _item_with_records(archive, tmp_path)
    before = [archive.record(i) for i in ids]
    first = archive.assets(item)[0]["id"]
    _import(archive, _write(_sphere(), tmp_path / "v2", "vase-ascii.ply", encoding="ascii"), item)
    second = archive.assets(item)[-1]["id"]
    assert second != first
    for old, new in zip(before, (archive.record(i) for i in ids), strict=True):
        assert new["asset_id"] == second and new["review"] == "ok"
        assert {k: v for k, v in new.items() if k not in ("asset_id", "version", "updated_at", "updated_by")} == \
               {k: v for k, v in old.items() if k not in ("asset_id", "version", "updated_at", "updated_by")}
    events = _carry_events(archive, item)
    assert [(e["field"], e["old_value"], e["new_value"]) for e in events] == [("asset_id", str(first), str(second))] * 2
    assert "the same geometry" in json.loads(events[0]["detail"])["reason"]


def test_a_texture_only_change_carries_the_records(archive, tmp_path):
    mesh = _sphere()
    uv = np.random.default_rng(0).random((len(mesh.vertices), 2))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (16, 16), (200, 30, 30)))
    item = _import(archive, _write(mesh, tmp_path / "v1", "bowl.obj"))
    rid = archive.add_record(item, "landmark", [[0, 12, 0]], title_en="Top")
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (16, 16), (30, 30, 200)))
    retextured = _write(mesh, tmp_path / "v2", "bowl.obj")
    # the texturing tool stamps its name: other bytes (identical ones are refused as a duplicate)
    retextured.write_text("# retextured\n" + retextured.read_text(encoding="utf-8"), encoding="utf-8")
    _import(archive, retextured, item)
    record = archive.record(rid)
    assert record["asset_id"] == archive.assets(item)[-1]["id"] and record["review"] == "ok"


def test_other_geometry_carries_the_records_for_review(archive, tmp_path):
    item, ids = _item_with_records(archive, tmp_path)
    first = archive.assets(item)[0]["id"]
    _import(archive, _write(trimesh.creation.icosphere(subdivisions=3, radius=12.0), tmp_path / "v2", "v2.ply"), item)
    for rid in ids:
        record = archive.record(rid)
        assert record["review"] == "needs_review" and record["asset_id"] == archive.assets(item)[-1]["id"]
        assert record["points"] and record["public"] == (rid == ids[1])  # nothing lost
    events = _carry_events(archive, item)
    assert sorted((e["field"], e["old_value"], e["new_value"]) for e in events) == sorted(
        [("asset_id", str(first), str(archive.assets(item)[-1]["id"])), ("review", "ok", "needs_review")] * 2)
    assert "vertices" in json.loads(events[0]["detail"])["reason"]


def test_a_dent_that_keeps_the_counts_and_the_box_is_found(archive, tmp_path):
    """The cheap figures agree; only reading both masters shows the moved vertex."""
    item, ids = _item_with_records(archive, tmp_path)
    dented = _sphere()
    vertices = dented.vertices.copy()
    inner = int(np.argmin(np.abs(vertices).max(axis=1)))  # a vertex that sets no side of the box
    vertices[inner] *= 0.9
    dented = trimesh.Trimesh(vertices, dented.faces, process=False)
    _import(archive, _write(dented, tmp_path / "v2", "dented.ply"), item)
    record = archive.record(ids[0])
    assert record["review"] == "needs_review"
    assert "moved" in json.loads(_carry_events(archive, item)[0]["detail"])["reason"]


def test_a_units_change_needs_review_even_with_the_same_geometry(archive, tmp_path):
    item, ids = _item_with_records(archive, tmp_path)
    _import(archive, _write(_sphere(), tmp_path / "v2", "vase-ascii.ply", encoding="ascii"), item, units="cm")
    record = archive.record(ids[0])
    assert record["review"] == "needs_review" and record["unit"] == "cm" and record["value"] == 24.0
    assert "units" in json.loads(_carry_events(archive, item)[0]["detail"])["reason"]


def test_a_record_already_flagged_stays_flagged(archive, tmp_path):
    item, ids = _item_with_records(archive, tmp_path)
    archive.update_record(ids[0], {"review": "needs_review"})
    _import(archive, _write(_sphere(), tmp_path / "v2", "vase-ascii.ply", encoding="ascii"), item)
    assert archive.record(ids[0])["review"] == "needs_review" and archive.record(ids[1])["review"] == "ok"


def test_a_photo_of_the_item_moves_no_record(archive, tmp_path):
    item, ids = _item_with_records(archive, tmp_path)
    photo = tmp_path / "photos" / "front.jpg"
    photo.parent.mkdir()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(photo)
    report = archive.import_paths([photo], ImportOptions(item_id=item, asset_fields={"role": "photo"}))
    assert not report.errors, report.errors
    assert all(archive.record(i)["asset_id"] == archive.assets(item)[0]["id"] for i in ids)
    assert _carry_events(archive, item) == []


def test_a_new_item_has_nothing_to_carry(archive, tmp_path):
    item, _ids = _item_with_records(archive, tmp_path)
    other = _import(archive, _write(trimesh.creation.box(extents=[1, 2, 3]), tmp_path / "v9", "box.ply"))
    assert archive.records(other) == [] and len(archive.records(item)) == 2


@pytest.mark.parametrize(("noise", "same"), [(0.0, True), (1e-9, True), (1e-3, False)])
def test_same_geometry_allows_only_rounding(tmp_path, noise, same):
    mesh = _sphere()
    a = _write(mesh, tmp_path / "a", "a.ply")
    moved = trimesh.Trimesh(mesh.vertices + noise * 24.0, mesh.faces, process=False)  # noise × the model's size
    b = _write(moved, tmp_path / "b", "b.ply")
    assert same_geometry(a, b)[0] is same


def test_same_geometry_refuses_reordered_triangles(tmp_path):
    mesh = _sphere()
    a = _write(mesh, tmp_path / "a", "a.ply")
    b = _write(trimesh.Trimesh(mesh.vertices, mesh.faces[::-1], process=False), tmp_path / "b", "b.ply")
    assert same_geometry(a, b) == (False, "the triangles differ")
