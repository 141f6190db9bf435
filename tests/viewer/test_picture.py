"""A picture of a big binary PLY is drawn from a copy clustered to the picture's pixels (read
in a worker without Open3D); the picture matches the one of every triangle; other files and
damaged ones go the usual way."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import trimesh

from glbtools import clusterjob
from viewer import thumbnail
from viewer.errors import CorruptFile, ViewerError
from viewer.isolated import load_model_isolated
from viewer.thumbnail import picture_model, render_image


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any mesh over 1,000 triangles counts as big (really over half a million, and one per two pixels)."""
    monkeypatch.setattr(clusterjob, "PICTURE_TRIANGLES", 1_000)


def _bumpy(path: Path, encoding: str = "binary", up_z: bool = False) -> Path:
    mesh = trimesh.creation.icosphere(subdivisions=6)  # 81,920 triangles
    mesh.vertices *= (1 + 0.05 * np.sin(mesh.vertices[:, :1] * 12))  # relief to see
    mesh.vertices[:, 1] *= 2  # tall along y
    if up_z:
        mesh.vertices = mesh.vertices[:, [0, 2, 1]] * [1, -1, 1]  # tall along z
        mesh.faces = mesh.faces[:, [0, 2, 1]]
    path.write_bytes(trimesh.exchange.ply.export_ply(mesh, encoding=encoding))
    return path


def test_a_big_binary_ply_is_drawn_from_a_clustered_copy(tmp_path: Path, small_threshold: None) -> None:
    model = picture_model(_bumpy(tmp_path / "b.ply"), 256)
    assert model.kind == "mesh" and model.n_primitives < 0.7 * 81_920
    assert any("clustered" in w for w in model.warnings)


@pytest.mark.gl
def test_the_clustered_picture_matches_every_triangle_drawn(tmp_path: Path, small_threshold: None) -> None:
    path = _bumpy(tmp_path / "b.ply")
    quick = render_image(picture_model(path, 256), 256, 256, view="front")
    every = render_image(picture_model(path, 256, every_triangle=True), 256, 256, view="front")
    difference = np.abs(quick.astype(np.int16) - every.astype(np.int16))
    assert difference.mean() < 3.0  # of 255: shading and outline agree
    assert (difference.max(2) > 40).mean() < 0.02


@pytest.mark.parametrize("encoding", ["ascii", "small"])
def test_other_files_are_read_whole(tmp_path: Path, small_threshold: None, monkeypatch: pytest.MonkeyPatch,
                                    encoding: str) -> None:
    if encoding == "small":
        monkeypatch.setattr(clusterjob, "PICTURE_TRIANGLES", 10**6)
    model = picture_model(_bumpy(tmp_path / "b.ply", "ascii" if encoding == "ascii" else "binary"), 256)
    assert model.n_primitives == 81_920
    assert not any("clustered" in w for w in model.warnings)


def test_a_face_naming_a_missing_vertex_is_a_corrupt_file(tmp_path: Path, small_threshold: None) -> None:
    path = _bumpy(tmp_path / "b.ply")
    data = bytearray(path.read_bytes())
    data[-12:-8] = (10**7).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match="vertex"):
        picture_model(path, 256)


def test_a_truncated_file_is_left_to_the_general_reader(tmp_path: Path, small_threshold: None) -> None:
    path = _bumpy(tmp_path / "b.ply")
    path.write_bytes(path.read_bytes()[:-1000])
    try:
        model = picture_model(path, 256)
    except ViewerError:
        return  # refused, typed
    assert not any("clustered" in w for w in model.warnings)  # or shown as the viewer shows it


def test_the_up_axis_is_honoured(tmp_path: Path, small_threshold: None) -> None:
    path = _bumpy(tmp_path / "z.ply", up_z=True)
    quick = picture_model(path, 256, up_axis="z")
    whole = load_model_isolated(path, up_axis="z")
    lo, hi = quick.bbox
    size = hi - lo
    assert size[1] > 1.8 * size[0]  # stands up: tall along the display's y
    np.testing.assert_allclose(size, whole.bbox[1] - whole.bbox[0], rtol=0.05)


@pytest.mark.gl
def test_snapshot_command_draws_the_clustered_copy_or_every_triangle(tmp_path: Path, small_threshold: None) -> None:
    from heritage_app.viewer_cli import run_snapshot

    path = _bumpy(tmp_path / "b.ply")
    for every in (False, True):
        out = tmp_path / f"{every}.png"
        args = argparse.Namespace(file=str(path), out=str(out), size=128, view="front", mode="auto", up=None,
                                  every_triangle=every)
        assert run_snapshot(args) == 0
        assert out.read_bytes().startswith(b"\x89PNG")


def test_an_archived_item_is_drawn_from_its_kept_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive import Archive
    from archive.levels import build_archive_levels
    from heritage_app import viewer_cli

    with Archive.create(tmp_path / "arc") as archive:
        assert not archive.import_paths([_bumpy(tmp_path / "b.ply")]).errors
        (item,) = archive.search_ids()
        build_archive_levels(archive, targets=(20_000, 5_000))
        level = archive.level_path(item, viewer_cli.SNAPSHOT_PRIMITIVES)
    assert level is not None and ".L1." in level.name
    drawn: list[str] = []
    real = thumbnail.picture_model

    def spy(path: str | Path, size: int, **kwargs: object) -> object:
        drawn.append(str(path))
        return real(path, size, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(thumbnail, "picture_model", spy)
    args = argparse.Namespace(file=str(item), out=str(tmp_path / "i.png"), size=64, view="front", mode="auto",
                              up=None, every_triangle=False, archive=str(tmp_path / "arc"))
    assert viewer_cli.run_snapshot(args) == 0
    assert drawn == [str(level)]


def test_the_command_line_is_built_without_open3d_and_offers_the_viewers_choices() -> None:
    import subprocess
    import sys

    from heritage_app import viewer_cli
    from viewer.camera import STANDARD_VIEWS
    from viewer.settings import DISPLAY_MODES

    assert set(viewer_cli.VIEWS) == set(STANDARD_VIEWS) and viewer_cli.DISPLAY_MODES == DISPLAY_MODES
    probe = ("import sys; from heritage_app.cli import build_parser; build_parser(); "
             "print('open3d' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # a snapshot's worker starts reading before Open3D loads
