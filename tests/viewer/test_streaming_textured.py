"""The viewer's memory budget counts a textured level's texture and per-corner texture
coordinates (a 1M-triangle level of a textured scan: ~48 MB of coordinates, ~48 MB of image
in Open3D), read from the level file's header and the image's header."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glbtools.levelfile import LevelArrays, write_level_arrays
from viewer.streaming import (
    BYTES_PER_TEXEL,
    BYTES_PER_TEXTURED_TRIANGLE,
    BYTES_PER_TRIANGLE,
    LevelFile,
    LevelStream,
    level_bytes,
    texture_pixels,
)


def _level(path: Path, triangles: int, texture: tuple[int, int] | None) -> LevelFile:
    """A level file of ``triangles`` triangles (a strip), textured with a ``texture`` image."""
    n = triangles + 2
    vertices = np.column_stack([np.arange(n) // 2, np.arange(n) % 2, np.zeros(n)]).astype(np.float32)
    faces = np.column_stack([np.arange(triangles), np.arange(1, triangles + 1), np.arange(2, triangles + 2)])
    name = None
    if texture is not None:
        name = path.with_suffix(".png").name
        Image.new("RGB", texture, (200, 120, 40)).save(path.parent / name)
    uv = None if texture is None else np.zeros((n, 2), np.float32)
    write_level_arrays(LevelArrays(vertices, faces.astype(np.int32), None, uv, name, np.zeros(3)), path)
    return LevelFile(int(path.stem[-1]), path, triangles, "mesh")


def test_a_textured_level_costs_its_texture_and_corner_coordinates(tmp_path: Path) -> None:
    textured = _level(tmp_path / "t1", 1000, (512, 256))
    plain = _level(tmp_path / "p1", 1000, None)
    assert texture_pixels(textured.path) == 512 * 256
    assert plain.cost == 1000 * BYTES_PER_TRIANGLE
    assert textured.cost == 1000 * (BYTES_PER_TRIANGLE + BYTES_PER_TEXTURED_TRIANGLE) + 512 * 256 * BYTES_PER_TEXEL
    assert textured.cost == level_bytes("mesh", 1000, 512 * 256)


def test_the_budget_leaves_a_textured_level_out_when_its_texture_does_not_fit(tmp_path: Path) -> None:
    files = [_level(tmp_path / "l1", 4000, (1024, 1024)), _level(tmp_path / "l2", 1000, (256, 256)),
             _level(tmp_path / "l3", 200, (64, 64))]
    geometry_only = level_bytes("mesh", 4000) + level_bytes("mesh", 200)
    stream = LevelStream(files, budget=geometry_only + 1024)  # what the budget held before textures counted
    assert stream.target().number == 2
    stream.set_budget(files[0].cost + files[2].cost)
    assert stream.target().number == 1


@pytest.mark.parametrize("damage", ["missing", "not an image", "too big"])
def test_a_texture_the_viewer_would_not_show_costs_nothing(tmp_path: Path, damage: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    level = _level(tmp_path / "t1", 100, (64, 64))
    image = level.path.with_suffix(".png")
    if damage == "missing":
        image.unlink()
    elif damage == "not an image":
        image.write_bytes(b"not a png")
    else:
        import viewer.level_files

        monkeypatch.setattr(viewer.level_files, "MAX_TEXTURE_PIXELS", 64 * 63)
    assert level.cost == 100 * BYTES_PER_TRIANGLE


def test_a_level_that_is_not_there_costs_its_geometry() -> None:
    assert LevelFile(1, Path("nowhere/L1.ply"), 100, "mesh").cost == 100 * BYTES_PER_TRIANGLE
    assert LevelFile(1, Path("nowhere/L1.ply"), 100, "points").cost == level_bytes("points", 100)
