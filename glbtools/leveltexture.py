"""Textures of the levels of detail: one image per level, several textures packed into one.

A photogrammetry master brings one to eight 4-8k textures. A level keeps one texture next to
its PLY (:mod:`glbtools.levelfile`): the master's own when it has one, else its textures
side by side on a grid (an atlas), each scaled to its cell, the texture coordinates moved into
the cells. Coarser levels keep a smaller copy (a 60k-triangle level needs no 8k texture).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from platform_support import temp_beside

#: longest side of the texture kept with level 1, 2, 3…; never scaled up
LEVEL_TEXTURE_PX = (4096, 2048, 1024)
#: longest side of an atlas made of several textures
MAX_ATLAS_PX = 8192


def level_texture_px(level: int) -> int:
    """Longest side of the texture of level ``level`` (1 = finest)."""
    return LEVEL_TEXTURE_PX[min(max(level, 1), len(LEVEL_TEXTURE_PX)) - 1]


def atlas(charts: list[tuple[np.ndarray, Image.Image]]) -> tuple[list[np.ndarray], Image.Image]:
    """One image for several textured parts: each ``(uv (n, 2) float, v down, image)`` gets a
    square cell of a grid; returns each part's coordinates moved into its cell (float32, v
    down) and the atlas. Coordinates outside 0..1 (a repeating texture) are wrapped into it
    per vertex, which is right for photogrammetry charts (always inside 0..1) only."""
    if len(charts) == 1:
        uv, image = charts[0]
        return [np.asarray(uv, dtype=np.float32)], image
    cols = math.ceil(math.sqrt(len(charts)))
    rows = math.ceil(len(charts) / cols)
    cell = min(max(max(img.size) for _, img in charts), MAX_ATLAS_PX // cols)
    out = Image.new("RGBA" if any(_has_alpha(img) for _, img in charts) else "RGB", (cols * cell, rows * cell))
    moved = []
    pad = min(8, cell // 16)  # a margin of edge colours: filtering and JPEG blocks never reach the next cell
    for k, (uv, image) in enumerate(charts):
        r, c = divmod(k, cols)
        picture = image.convert(out.mode)
        out.paste(picture.resize((cell, cell), Image.Resampling.BILINEAR), (c * cell, r * cell))
        out.paste(picture.resize((cell - 2 * pad, cell - 2 * pad), Image.Resampling.BILINEAR),
                  (c * cell + pad, r * cell + pad))
        inside = np.asarray(uv, dtype=np.float32)
        inside = np.where((inside >= 0) & (inside <= 1), inside, np.mod(inside, 1.0))
        inner = (cell - 2 * pad) / cell
        moved.append(np.column_stack([(c + pad / cell + inside[:, 0] * inner) / cols,
                                      (r + pad / cell + inside[:, 1] * inner) / rows]).astype(np.float32))
    return moved, out


def solid(rgba: tuple[float, float, float, float]) -> Image.Image:
    """An 8-pixel image of one colour (0..1 RGBA): the cell of an untextured part in an atlas."""
    return Image.new("RGBA", (8, 8), tuple(int(round(min(max(c, 0.0), 1.0) * 255)) for c in rgba))


def scaled(image: Image.Image, longest: int) -> Image.Image:
    """``image`` with its longest side at most ``longest`` (halved by whole steps where it can:
    faster than a general resize, and as sharp)."""
    side = max(image.size)
    if side <= longest:
        return image
    factor = side // longest
    if factor > 1 and side % factor == 0 and max(image.size) // factor <= longest:
        return image.reduce(factor)
    ratio = longest / side
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.BOX)


def save_texture(image: Image.Image, folder: Path, stem: str, longest: int) -> str:
    """Write ``image`` (scaled to ``longest``) as ``stem.jpg`` (``stem.png`` when it has
    transparency) in ``folder``, through a temporary file; returns the file's name. A JPEG
    kept at its size is copied from its file, not encoded again (no second loss, no time)."""
    picture = scaled(image, longest)
    alpha = _has_alpha(picture)
    name = f"{stem}.{'png' if alpha else 'jpg'}"
    tmp = temp_beside(folder / name)  # a name of this PC and process: two PCs may write it at once
    source = jpeg_file(picture) if not alpha else None
    with open(tmp, "wb") as fh:
        if source is not None:
            with open(source, "rb") as src:
                shutil.copyfileobj(src, fh, 1024**2)
        elif alpha:
            picture.convert("RGBA").save(fh, format="PNG", compress_level=1)
        else:
            picture.convert("RGB").save(fh, format="JPEG", quality=90)
    tmp.replace(folder / name)
    return name


def jpeg_file(image: Image.Image) -> Path | None:
    """The JPEG file ``image`` was read from, unchanged (its ``filename``, format and size
    still those of the file), or None."""
    source = getattr(image, "filename", "")
    if image.format != "JPEG" or not source or image.mode not in ("RGB", "L"):
        return None
    try:
        with Image.open(source) as again:
            same = again.format == "JPEG" and again.size == image.size
    except (OSError, Image.DecompressionBombError):
        return None
    return Path(source) if same else None


def _has_alpha(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA", "PA") and not (image.mode == "P" and "transparency" in image.info):
        return False
    low = image.convert("RGBA").getchannel("A").getextrema()[0]
    return bool(int(low) < 255)  # type: ignore[arg-type]


__all__ = ["LEVEL_TEXTURE_PX", "MAX_ATLAS_PX", "atlas", "level_texture_px", "save_texture", "scaled", "solid"]
