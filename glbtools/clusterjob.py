"""A picture's clustering started in a worker process before Open3D is even imported.

``heritage snapshot`` of a 12-50M-triangle PLY spends a second importing Open3D; started
here first, the worker reads and clusters the mesh (:mod:`glbtools.cluster`) meanwhile. The
worker imports numpy only. The viewer turns the result into a model
(:func:`viewer.thumbnail.picture_model`) and the pool's failures into its typed errors.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers import JobLimits, WorkerPool, job_limits

from .cluster import ClusteredMesh, cluster_file
from .plymesh import PlyCorrupt, PlyLayoutError, open_ply_mesh

#: a mesh of more triangles than this, and than half the picture's pixels, is drawn from a
#: copy clustered to the picture's pixels
PICTURE_TRIANGLES = 500_000
#: picture pixels per grid cell along the model's longest side
PIXELS_PER_CELL = 2.5
#: the clustering worker, one picture at a time
POOL = WorkerPool()


@dataclass
class ClusteringJob:
    """A clustering running in the worker: its future, limits and grid size."""

    future: Future[Any]
    limits: JobLimits
    cells: int

    def result(self) -> ClusteredMesh:
        """The clustered mesh; raises what :func:`~glbtools.cluster.cluster_file` raises and
        the pool's ``WorkerTimedOut``/``WorkerCrashed``/``WorkerCancelled``/``MemoryError``."""
        return POOL.wait(self.future, self.limits.timeout)  # type: ignore[no-any-return]


def start_clustering(path: Path, size: int) -> ClusteringJob | None:
    """Start clustering ``path`` for a ``size``-pixel picture in the worker; None (nothing
    started) unless it is a plain binary triangle PLY of over :data:`PICTURE_TRIANGLES`
    triangles and over one for every two pixels of the picture. Only the header is read here."""
    if path.suffix.lower() != ".ply" or not path.is_file():
        return None
    try:
        mesh = open_ply_mesh(path)
    except (PlyLayoutError, PlyCorrupt, OSError):
        return None  # the general reader decides (and words the error)
    if mesh.face_count <= max(PICTURE_TRIANGLES, size * size // 2):
        return None
    # a cell number per vertex, per-cell sums, one chunk, the kept triangles
    expected = mesh.vertex_count * 8 + mesh.face_count * 4 + 2 * 10**8
    limits = job_limits(expected, path.stat().st_size, floor=10**9)
    if not limits.fits:
        return None  # the general reader refuses it with its own message
    cells = max(16, round(size / PIXELS_PER_CELL))
    return ClusteringJob(POOL.start(cluster_file, path, cells, memory=limits.memory), limits, cells)


__all__ = ["PICTURE_TRIANGLES", "PIXELS_PER_CELL", "ClusteringJob", "start_clustering"]
