"""A level that keeps its master's JPEG texture at its size copies the file (no second JPEG
loss, no encoding time); a smaller copy is encoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from archive.levels import build_levels
from glbtools import leveltexture

from .test_levels_textured import textured_obj

SHA = "ab" * 32


def _jpeg_master(folder: Path, size: int) -> Path:
    obj = textured_obj(folder, gradient=True)
    noise = np.random.default_rng(2).integers(0, 255, (size, size, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "tex0.jpg", quality=75)
    (folder / "scan.mtl").write_text("newmtl m0\nKd 1 1 1\nmap_Kd .\\tex0.jpg\n")  # a Windows-style name
    return obj


def test_the_master_jpeg_is_copied_when_kept_at_its_size(tmp_path: Path) -> None:
    obj = _jpeg_master(tmp_path / "src", 256)
    levels = build_levels(obj, SHA, tmp_path / "levels", targets=(300, 80))
    master = (tmp_path / "src" / "tex0.jpg").read_bytes()
    assert [(tmp_path / "levels" / f"{lv.path.stem}.jpg").read_bytes() == master for lv in levels] == [True, True]


def test_a_resized_texture_is_encoded(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(leveltexture, "LEVEL_TEXTURE_PX", (128, 64, 32))
    obj = _jpeg_master(tmp_path / "src", 256)
    levels = build_levels(obj, SHA, tmp_path / "levels", targets=(300,))
    with Image.open(tmp_path / "levels" / f"{levels[0].path.stem}.jpg") as img:
        assert img.size == (128, 128)
