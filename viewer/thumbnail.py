"""Pictures without a window: thumbnails, posters and snapshots of any file.

All rendering goes through the process-wide :func:`viewer.service.default_service`
thread (legacy GL via headless EGL, or Xvfb/X when a display exists); if no GL context can
be made, the Filament renderer runs in a child process with a timeout.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np

from .model import Model
from .service import default_service
from .session import ViewerSession
from .settings import Settings

THUMBNAIL_SIZE = 256
POSTER_SIZE = 1024
THUMBNAIL_BACKGROUND = (0.93, 0.93, 0.92)


def render_image(model: Model, width: int, height: int, *, view: str = "front",
                 mode: str = "auto", settings: Settings | None = None,
                 timeout: float = 120.0) -> np.ndarray:
    """Render a loaded model framed from ``view``; returns (height, width, 3) uint8."""
    s = settings or Settings(background=THUMBNAIL_BACKGROUND)
    s = replace(s, mode=mode)  # type: ignore[arg-type]
    session = ViewerSession(settings=s)
    session.set_model(model)
    session.reset_view(view)
    service = default_service()
    return service.call(lambda: session.render(width, height, renderer=service.renderer),
                        timeout=timeout)


def png_bytes(image: np.ndarray) -> bytes:
    """(h, w, 3) uint8 image -> PNG bytes."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def render_thumbnail(path: str | Path, size: int = THUMBNAIL_SIZE, *, view: str = "iso",
                     mode: str = "auto", units: str | None = None, up_axis: str | None = None) -> bytes:
    """Square PNG thumbnail of a 3D file, no window needed.

    ``up_axis`` is the file's recorded up axis (``"y"`` or ``"z"``): a Z-up scan stands up.
    Raises the typed errors of :func:`viewer.loading.load_model` for files it cannot show.
    This is the ``render_thumbnail(path) -> PNG`` callable the archive takes.
    """
    from .isolated import load_model_isolated  # a file that crashes its reader costs one thumbnail

    model = load_model_isolated(path, units=units, up_axis=up_axis)
    return png_bytes(render_image(model, size, size, view=view, mode=mode))


def render_poster(path: str | Path, size: int = POSTER_SIZE, **kwargs: str) -> bytes:
    """Square PNG poster (1024 px by default) for publishing (``up_axis`` as for thumbnails)."""
    return render_thumbnail(path, size, **kwargs)


def save_snapshot(path: str | Path, out: str | Path, size: int = 1024, *, view: str = "front",
                  mode: str = "auto", up_axis: str | None = None) -> None:
    """Render ``path`` (its up axis ``up_axis``) and write a PNG to ``out``."""
    Path(out).write_bytes(render_thumbnail(path, size, view=view, mode=mode, up_axis=up_axis))
