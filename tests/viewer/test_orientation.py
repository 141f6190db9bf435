"""A recorded up axis is honoured wherever a model is shown: Z-up scans stand up in the viewer,
thumbnails and snapshots, and what the user records stays in the file's own frame."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from tests.viewer.conftest import to_model
from viewer import ViewerSession, render_thumbnail
from viewer.orientation import orient


def _tall_z_box(tmp_path: Path) -> Path:
    """A 10 x 10 x 100 box, long along Z (a Z-up scan of a tall object)."""
    path = tmp_path / "tall.ply"
    trimesh.creation.box(extents=[10.0, 10.0, 100.0]).export(path)
    return path


def _silhouette_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels of what differs from the corner's background colour."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    ys, xs = np.nonzero(np.abs(img - img[0, 0]).sum(axis=2) > 30)
    return int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_z_up_model_is_turned_to_stand_on_y() -> None:
    model = orient(to_model(trimesh.creation.box(extents=[10.0, 10.0, 100.0])), "z")
    assert np.allclose(model.dimensions, [10.0, 100.0, 10.0])


def test_correcting_the_up_axis_does_not_stack_turns() -> None:
    model = to_model(trimesh.creation.box(extents=[10.0, 20.0, 100.0]))
    before = model.vertices.copy()
    orient(orient(orient(model, "z"), "z"), "y")
    assert np.allclose(model.vertices, before)


def test_landmarks_keep_file_coordinates_of_a_z_up_model() -> None:
    tm = trimesh.creation.box(extents=[10.0, 10.0, 100.0])
    session = ViewerSession()
    session.set_model(orient(to_model(tm), "z"))
    top_in_display = session.model.vertices[np.argmax(session.model.vertices[:, 1])]  # type: ignore[union-attr]
    in_file = session.file_coordinates(top_in_display)
    assert np.isclose(in_file[2], 50.0)  # the top of the scan is still +Z in the file
    assert np.allclose(session.model.from_file(in_file), top_in_display)  # type: ignore[union-attr]


@pytest.mark.gl
def test_thumbnail_of_a_z_up_scan_stands_up(tmp_path: Path) -> None:
    path = _tall_z_box(tmp_path)
    width, height = _silhouette_size(render_thumbnail(path, 128, up_axis="z"))
    assert height > 2 * width


@pytest.mark.gl
def test_thumbnail_of_the_same_file_read_as_y_up_lies_on_its_side(tmp_path: Path) -> None:
    path = _tall_z_box(tmp_path)
    width, height = _silhouette_size(render_thumbnail(path, 128, up_axis="y"))
    assert width > height


def _snapshot(argv: list[str]) -> int:
    import argparse

    from heritage_app.viewer_cli import add_viewer_commands

    parser = argparse.ArgumentParser()
    parser.add_argument("--archive")
    add_viewer_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.mark.gl
def test_snapshot_up_z_stands_the_scan_up(tmp_path: Path) -> None:
    out = tmp_path / "s.png"
    assert _snapshot(["snapshot", str(_tall_z_box(tmp_path)), "--out", str(out), "--size", "96", "--up", "z"]) == 0
    width, height = _silhouette_size(out.read_bytes())
    assert height > 2 * width


@pytest.mark.gl
def test_snapshot_of_an_item_uses_its_recorded_up_axis(tmp_path: Path) -> None:
    from archive import Archive, ImportOptions

    root = tmp_path / "arch"
    with Archive.create(root, agent="tester") as archive:
        report = archive.import_paths([_tall_z_box(tmp_path)], ImportOptions(kind="relic", isolate=False))
        item_id = report.imported[0]
        asset_id = archive.assets(item_id)[0]["id"]
        archive.update_asset(asset_id, {"up_axis": "z"})
    out = tmp_path / "s.png"
    assert _snapshot(["--archive", str(root), "snapshot", str(item_id), "--out", str(out), "--size", "96"]) == 0
    width, height = _silhouette_size(out.read_bytes())
    assert height > 2 * width


@pytest.mark.gl
def test_heritage_thumbnails_renders_an_item_by_its_recorded_up_axis(tmp_path: Path) -> None:
    from archive import Archive, ImportOptions
    from heritage_app.cli import main

    root = tmp_path / "arch"
    with Archive.create(root, agent="tester") as archive:
        item_id = archive.import_paths([_tall_z_box(tmp_path)], ImportOptions(kind="relic", isolate=False)).imported[0]
        archive.update_asset(archive.assets(item_id)[0]["id"], {"up_axis": "z"})
    assert main(["--archive", str(root), "thumbnails", "--size", "96"]) == 0
    with Archive.open(root) as archive:
        thumbnail = archive.thumbnail_path(item_id)
    assert thumbnail is not None
    width, height = _silhouette_size(thumbnail.read_bytes())
    assert height > 2 * width


@pytest.mark.parametrize(("extents", "up_axis"), [((100.0, 10.0, 10.0), "x"), ((10.0, 10.0, 100.0), "-z")])
def test_a_scan_recorded_with_any_axis_up_stands_up(tmp_path: Path, extents, up_axis: str) -> None:
    path = tmp_path / "tall.ply"
    trimesh.creation.box(extents=list(extents)).export(path)
    width, height = _silhouette_size(render_thumbnail(path, 96, up_axis=up_axis))
    assert height > 2 * width
