"""Posters for publishing: the viewer's renderer, or a neutral placeholder where it cannot
render (no OpenGL here). Shared by the ``heritage export``/``site`` commands and the Export
dialog, so neither imports the other; passed to :mod:`archive.publish` as ``render_image``."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path


def placeholder_png(path: Path, size: int) -> bytes:
    """A neutral poster (drawn with Pillow) for when the 3D renderer is unavailable."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (246, 243, 236))
    draw = ImageDraw.Draw(img)
    s = size / 8
    c = size / 2
    top = [(c, c - 2 * s), (c + 2 * s, c - s), (c, c), (c - 2 * s, c - s)]
    draw.polygon(top, outline=(122, 31, 31), width=max(1, size // 128))
    for x in (c - 2 * s, c, c + 2 * s):
        y0 = c if x == c else c - s
        draw.line([(x, y0), (x, y0 + 2 * s)], fill=(122, 31, 31), width=max(1, size // 128))
    draw.line([(c - 2 * s, c + s), (c, c + 2 * s), (c + 2 * s, c + s)], fill=(122, 31, 31), width=max(1, size // 128))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def render_image(path: Path, size: int) -> bytes:
    """The viewer's rendering of ``path`` as a ``size`` px square PNG; the placeholder (with a
    warning) when it cannot render here. A programming error is not a render failure: it surfaces."""
    if os.environ.get("HERITAGE_NO_RENDER"):
        return placeholder_png(path, size)
    from viewer import ViewerError, render_thumbnail  # late: Open3D takes seconds to import

    try:
        return bytes(render_thumbnail(path, size))
    # The viewer's typed failures (no GL context, timeout, unreadable model), Open3D's native
    # RuntimeError and a renderer process that could not start.
    except (ViewerError, RuntimeError, OSError) as exc:
        print(f"warning: the 3D renderer failed ({type(exc).__name__}); using a placeholder poster",
              file=sys.stderr)
        return placeholder_png(path, size)
