"""A textured level of detail is shown with its texture; a broken texture is a note, not a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive.levels import MasterGeometry, write_level
from viewer import load_model_isolated
from viewer.level_files import load_level

LEFT, RIGHT = (200, 40, 40), (40, 40, 200)


def _level(folder: Path) -> Path:
    """A textured level: a sphere whose left half (x < 0) addresses the red half of its texture."""
    mesh = trimesh.creation.icosphere(subdivisions=3)
    vertices = np.asarray(mesh.vertices, dtype=np.float32)
    uv = np.column_stack([np.where(vertices[:, 0] < 0, 0.25, 0.75), np.full(len(vertices), 0.5)]).astype(np.float32)
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, :32], img[:, 32:] = LEFT, RIGHT
    g = MasterGeometry(vertices, np.asarray(mesh.faces, dtype=np.int32), None, np.array([100.0, 0.0, 0.0]),
                       uv, Image.fromarray(img))
    return write_level(g, folder / f"{'ef' * 32}.L1.ply")


def _corner_colours(model) -> np.ndarray:  # type: ignore[no-untyped-def]
    """(3 m, 3) texture colour at each triangle corner, as Open3D samples it."""
    tex = np.asarray(model.geometry.textures[0])
    uv = np.asarray(model.geometry.triangle_uvs)
    h, w = tex.shape[:2]
    return tex[np.clip((uv[:, 1] * h).astype(int), 0, h - 1), np.clip((uv[:, 0] * w).astype(int), 0, w - 1)]


def _expected(model) -> np.ndarray:  # type: ignore[no-untyped-def]
    corners = np.asarray(model.geometry.vertices)[np.asarray(model.geometry.triangles).ravel()]
    x = corners[:, 0] - model.center[0]  # the level's origin was moved near zero
    return np.where((x < 0)[:, None], LEFT, RIGHT)


@pytest.mark.parametrize("reader", ["level", "isolated"])
def test_a_textured_level_is_shown_with_its_texture(tmp_path: Path, reader: str) -> None:
    path = _level(tmp_path)
    model = load_level(path) if reader == "level" else load_model_isolated(path)
    assert model.textured and not model.warnings
    assert len(model.geometry.triangle_uvs) == 3 * len(model.triangles)
    assert np.abs(_corner_colours(model).astype(int) - _expected(model)).max() <= 12  # JPEG


@pytest.mark.parametrize("damage", ["missing", "broken"])
@pytest.mark.parametrize("reader", ["level", "isolated"])
def test_a_broken_texture_shows_the_shape_with_a_note(tmp_path: Path, damage: str, reader: str) -> None:
    path = _level(tmp_path)
    texture = path.with_suffix(".jpg")
    if damage == "missing":
        texture.unlink()
    else:
        texture.write_bytes(b"\xff\xd8 not really a JPEG")
    model = load_level(path) if reader == "level" else load_model_isolated(path)
    assert not model.textured and len(model.triangles) == 1280
    expected = "is missing" if damage == "missing" else "cannot be read"
    assert any(texture.name in note and expected in note for note in model.warnings), model.warnings


def test_a_later_level_joins_the_first_ones_frame_with_its_texture(tmp_path: Path) -> None:
    path = _level(tmp_path)
    first = load_level(path, "z")
    again = load_level(path, frame=first)
    assert again.textured and np.allclose(np.asarray(again.geometry.vertices), np.asarray(first.geometry.vertices))
