"""Pictures without a window: thumbnails, posters and snapshots of any file.

All rendering goes through the process-wide :func:`viewer.service.default_service`
thread (legacy GL via headless EGL, or Xvfb/X when a display exists); if no GL context can
be made, the Filament renderer runs in a child process with a timeout.

A picture of a big mesh does not need all of it: a binary PLY of more than
:data:`glbtools.clusterjob.PICTURE_TRIANGLES` triangles is read in chunks and clustered on a
grid of one cell per :data:`~glbtools.clusterjob.PIXELS_PER_CELL` pixels
(:mod:`glbtools.cluster`) in a worker that never imports Open3D; only the reduced mesh is
drawn. Detail under a cell (2.5 pixels) is averaged; nothing else of the picture changes
(on a 12.7M-triangle scan at 1024 px: a mean difference of 3.8/255 from every triangle drawn,
most of it the aliasing of relief finer than a pixel that the full drawing shows).
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from glbtools import clusterjob
from glbtools.clusterjob import ClusteringJob
from workers import WorkerCancelled, WorkerCrashed, WorkerTimedOut

from .errors import CorruptFile, EmptyGeometry, LoadTimeout, ResourceLimit
from .model import Model
from .orientation import orient
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
    session.set_model(model, picker=None)  # nothing is picked in a picture: no ray-casting index
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
    model = picture_model(path, size, units=units, up_axis=up_axis)
    return png_bytes(render_image(model, size, size, view=view, mode=mode))


def render_poster(path: str | Path, size: int = POSTER_SIZE, **kwargs: str) -> bytes:
    """Square PNG poster (1024 px by default) for publishing (``up_axis`` as for thumbnails)."""
    return render_thumbnail(path, size, **kwargs)


def save_snapshot(path: str | Path, out: str | Path, size: int = 1024, *, view: str = "front",
                  mode: str = "auto", up_axis: str | None = None) -> None:
    """Render ``path`` (its up axis ``up_axis``) and write a PNG to ``out``."""
    Path(out).write_bytes(render_thumbnail(path, size, view=view, mode=mode, up_axis=up_axis))


def picture_model(path: str | Path, size: int, *, units: str | None = None, up_axis: str | None = None,
                  every_triangle: bool = False, job: ClusteringJob | None = None) -> Model:
    """What to draw for a ``size``-pixel picture of ``path``: a big binary PLY mesh clustered
    to the picture (see the module docstring; its ``warnings`` say so), anything else (or
    everything, with ``every_triangle``) read whole in the isolated reader. ``job`` is the
    clustering already started for it (:func:`glbtools.clusterjob.start_clustering`)."""
    from .isolated import load_model_isolated  # a file that crashes its reader costs one picture

    p = Path(path)
    if job is None and not every_triangle:
        job = clusterjob.start_clustering(p, size)
    if job is not None:
        model = finish_clustering(job, p, units, up_axis)
        if model is not None:
            return model
    return load_model_isolated(p, units=units, up_axis=up_axis)


def finish_clustering(job: ClusteringJob, path: Path, units: str | None, up_axis: str | None) -> Model | None:
    """The clustered model of a started job, turned for ``up_axis``; None when the file turned
    out not to be a plain triangle PLY (the caller reads it whole). Raises the viewer's typed
    errors for a damaged file, a time-out or memory over the limit."""
    from glbtools.plymesh import PlyCorrupt, PlyLayoutError

    try:
        clustered = job.result()
    except PlyLayoutError:
        return None
    except PlyCorrupt as exc:
        raise CorruptFile(str(exc)) from None
    except ValueError as exc:  # no finite vertex, or no triangle left
        raise EmptyGeometry(str(exc)) from None
    except WorkerTimedOut:
        raise LoadTimeout(f"{path.name} took longer than {job.limits.timeout:.0f} s to read; it was stopped.") from None
    except (WorkerCrashed, WorkerCancelled):
        raise CorruptFile(f"{path.name} made the 3D reader crash; the file is probably damaged or hostile.") from None
    except MemoryError:
        raise ResourceLimit(f"{path.name} needs more memory than the 3D reader may use "
                            f"({job.limits.memory / 1024**3:.1f} GiB); it was stopped.") from None
    return orient(_clustered_model(clustered, path, units), up_axis)


def _clustered_model(c: Any, path: Path, units: str | None) -> Model:
    import open3d as o3d

    v3d = o3d.utility.Vector3dVector
    mesh = o3d.geometry.TriangleMesh(v3d(c.vertices.astype(np.float64)), o3d.utility.Vector3iVector(c.faces))
    mesh.vertex_normals = v3d(c.normals.astype(np.float64))
    mesh.compute_triangle_normals()  # the legacy renderer draws a mesh unlit without them
    if c.colours is not None:
        mesh.vertex_colors = v3d(c.colours[:, :3] / 255.0)
    note = (f"drawn from a copy of {len(c.faces):,} of its {c.source_triangles:,} triangles, clustered on a "
            f"grid of {c.cell:.3g}-unit cells (detail under about {clusterjob.PIXELS_PER_CELL:g} pixels is averaged)")
    return Model(geometry=mesh, kind="mesh", path=path, units=units, warnings=[note], origin=c.origin)
