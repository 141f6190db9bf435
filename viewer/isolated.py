"""Load untrusted 3D files in a separate worker process with memory and time limits.

Open3D's native readers can crash the interpreter on malformed files and any parser can
exhaust memory. :func:`load_model_isolated` runs :func:`viewer.loading.load_model` in a
worker process, so a hostile or damaged scan costs one typed error, never the app:

- a crash (segfault, abort)      -> :class:`~viewer.errors.CorruptFile`
- memory over the limit          -> :class:`~viewer.errors.ResourceLimit`
- longer than ``timeout``        -> :class:`~viewer.errors.LoadTimeout` (a ``ResourceLimit``)
- the cancel token set meanwhile -> :class:`~viewer.errors.Cancelled`

After a crash, a time-out or a cancel the worker is killed and the next load gets a fresh
one. The pool (start method, kill on failure, limits, parent-death handling) is the shared
:mod:`workers` one; the worker is reused between loads, so the per-file cost is one round trip.

The worker does all of ``load_model`` (reading, repair, normals, recentring) and writes the
geometry's arrays once into a temporary file; the parent maps that file and copies each
array straight into the Open3D geometry. Nothing is pickled but a small manifest.
"""

from __future__ import annotations

import mmap
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import open3d as o3d

from glbtools.contents import PLAIN, contents_expected, obj_face_count
from workers import JobLimits, WorkerCancelled, WorkerCrashed, WorkerPool, WorkerTimedOut, job_limits, limit_memory

from .errors import CorruptFile, LoadTimeout, ResourceLimit
from .model import Kind, Model
from .orientation import orient
from .progress import CancelToken, ProgressFn, report

MEMORY_FLOOR = 2 * 1024**3  # address space for the interpreter, Open3D, numpy and the parser
MEMORY_PER_BYTE = 4  # plus this many bytes of address space per byte of input
TIMEOUT_S = 300.0
_ALIGN = 64
#: Companion files whose size also counts towards the memory limit (textures, buffers).
_IMAGES = {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".tif", ".tiff", ".webp", ".ktx2"}
_COMPANIONS = {".mtl", ".bin", *_IMAGES}

#: What the worker calls in place of ``load_model(path, units=units)`` (tests pass their own).
Reader = Callable[[Path, "str | None"], Model]

#: One worker, one load at a time (the pool's rule): killing it never hits another load.
POOL = WorkerPool(preload=["viewer.loading"])


def default_memory(path: Path) -> int:
    """Address-space limit for reading ``path``: 2 GiB + 4 x (file + companion files)."""
    size = path.stat().st_size if path.is_file() else 0
    if path.suffix.lower() in (".obj", ".gltf"):
        try:
            size += sum(p.stat().st_size for p in path.parent.iterdir()
                        if p.suffix.lower() in _COMPANIONS and p.is_file())
        except OSError:
            pass
    return MEMORY_FLOOR + MEMORY_PER_BYTE * size


#: Bytes the viewer holds per shown vertex or point (Open3D float64 position, normal and colour)
#: and per triangle (int32 indices, float64 normal); a LAS point read in chunks costs 18 bytes
#: (float32 position, uint16 colour) before thinning.
BYTES_PER_VERTEX = 72
BYTES_PER_TRIANGLE = 36
BYTES_PER_LAS_POINT = 18
#: Bytes Open3D's OBJ reader holds per face line (issue 12): it gives every corner its own
#: vertex (float64 position, normal and texture coordinate: with triangle normals and indices
#: 228 bytes a triangle) and grows its arrays by doubling, holding the old and the new copy at
#: once. A 6M-triangle textured OBJ took 8.5 GB of address space unlimited (1.2 GB for a
#: 1-triangle one), about 1.2 kB a face, and ran out under 4.5 GiB; read as 2 GiB + 2 x this,
#: a face gets 1.2 kB and the 6M-face OBJ 9.6 GB.
OBJ_BYTES_PER_FACE = 600
_PLY_ELEMENT = re.compile(rb"^element\s+(\w+)\s+(\d+)\s*$", re.MULTILINE)


def expected_bytes(path: Path) -> int:
    """Memory the viewer's reader is expected to hold for ``path``: from a LAS/LAZ header's
    point count (thinned above :data:`~viewer.readers.MAX_VIEW_POINTS`), from a PLY header's
    vertex and face counts, from an OBJ's faces and a glTF's accessors with their textures'
    image headers (:func:`_counted_bytes`), else four times the file and its companions."""
    suffix = path.suffix.lower()
    if suffix in (".las", ".laz"):
        n = _las_point_count(path)
        if n is not None:
            from .readers import MAX_VIEW_POINTS

            return n * BYTES_PER_LAS_POINT + min(n, MAX_VIEW_POINTS) * BYTES_PER_VERTEX
    if suffix == ".ply":
        counts = _ply_counts(path)
        if counts is not None:
            return counts.get(b"vertex", 0) * BYTES_PER_VERTEX + counts.get(b"face", 0) * BYTES_PER_TRIANGLE
    if suffix in (".obj", ".gltf", ".glb"):
        return _counted_bytes(path)
    return default_memory(path) - MEMORY_FLOOR


def _counted_bytes(path: Path) -> int:
    """An OBJ's or glTF's memory from what it holds (:mod:`glbtools.contents`): the OBJ's
    ``f`` lines times :data:`OBJ_BYTES_PER_FACE`, or the glTF's accessors and images, never
    less than four times the geometry's files; plus the images beside it, decoded (their
    headers' width and height: a JPEG's bytes say nothing of what its pixels take)."""
    images = _images_beside(path)
    counted, beside = contents_expected([path, *images], PLAIN)
    files = path.stat().st_size if path.is_file() else 0
    if path.suffix.lower() == ".obj":
        files += sum(p.stat().st_size for p in path.parent.glob("*") if p.suffix.lower() == ".mtl" and p.is_file())
        counted = obj_face_count(path) * OBJ_BYTES_PER_FACE
    else:
        files = default_memory(path) - MEMORY_FLOOR - MEMORY_PER_BYTE * sum(p.stat().st_size for p in images)
        files //= MEMORY_PER_BYTE
    return max(MEMORY_PER_BYTE * files, counted) + beside


def _images_beside(path: Path) -> list[Path]:
    """The image files in ``path``'s folder (an OBJ's or glTF's textures are among them)."""
    try:
        return [p for p in path.parent.iterdir() if p.suffix.lower() in _IMAGES and p.is_file()]
    except OSError:
        return []


def _las_point_count(path: Path) -> int | None:
    """The point count of a LAS/LAZ header (1.4's 64-bit one when set), None if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(375)
    except OSError:
        return None
    if len(head) < 111 or not head.startswith(b"LASF"):
        return None
    legacy = int.from_bytes(head[107:111], "little")
    if head[24:26] == bytes([1, 4]) and len(head) >= 255:
        return int.from_bytes(head[247:255], "little") or legacy
    return legacy


def _ply_counts(path: Path) -> dict[bytes, int] | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    if not head.startswith(b"ply") or b"end_header" not in head:
        return None
    return {m.group(1): int(m.group(2)) for m in _PLY_ELEMENT.finditer(head.split(b"end_header", 1)[0])}


def read_limits(path: Path, total: int | None = None) -> JobLimits:
    """Memory and time for viewing ``path`` on this machine (``total`` bytes of memory, this
    one's by default): 2 GiB + 2 x :func:`expected_bytes`, at most 80 % of the machine;
    300 s + 10 s per 100 MB. Raises :class:`ResourceLimit` when the machine has too little."""
    size = path.stat().st_size if path.is_file() else 0
    limits = job_limits(expected_bytes(path), size, floor=MEMORY_FLOOR, total=total)
    if not limits.fits:
        raise ResourceLimit(f"{path.name} needs about {limits.needed / 1024**3:.1f} GiB of memory to view; this "
                            f"computer lets the 3D reader use {limits.cap / 1024**3:.1f} GiB. Open a lighter "
                            "level of detail, or a computer with more memory.")
    return limits


# --- worker side -----------------------------------------------------------------------

def _load_in_process(path: Path, units: str | None) -> Model:
    from .loading import load_model

    return load_model(path, units=units)


def _mesh_arrays(g: o3d.geometry.TriangleMesh) -> dict[str, np.ndarray]:
    arrays = {"vertices": np.asarray(g.vertices), "triangles": np.asarray(g.triangles)}
    if g.has_vertex_normals():
        arrays["vertex_normals"] = np.asarray(g.vertex_normals)
    if g.has_vertex_colors():
        arrays["vertex_colors"] = np.asarray(g.vertex_colors)
    if g.has_triangle_normals():
        arrays["triangle_normals"] = np.asarray(g.triangle_normals)
    if g.has_triangle_uvs():
        arrays["triangle_uvs"] = np.asarray(g.triangle_uvs)
    if g.has_triangle_material_ids():
        arrays["triangle_material_ids"] = np.asarray(g.triangle_material_ids, dtype=np.int32)
    for i, image in enumerate(g.textures):
        if not image.is_empty():  # an empty image (OBJ without a texture) is rebuilt as one
            arrays[f"texture{i}"] = np.asarray(image)
    return arrays


def _cloud_arrays(g: o3d.geometry.PointCloud) -> dict[str, np.ndarray]:
    arrays = {"points": np.asarray(g.points)}
    if g.has_normals():
        arrays["normals"] = np.asarray(g.normals)
    if g.has_colors():
        arrays["colors"] = np.asarray(g.colors)
    return arrays


def _write_model(model: Model, out: Path) -> dict[str, Any]:
    """Write the geometry's arrays into ``out`` (one copy, no pickling); return the manifest."""
    g = model.geometry
    arrays = _mesh_arrays(g) if isinstance(g, o3d.geometry.TriangleMesh) else _cloud_arrays(g)
    layout: dict[str, tuple[int, str, tuple[int, ...]]] = {}
    with open(out, "wb") as fh:
        offset = 0
        for name, array in arrays.items():
            a = np.ascontiguousarray(array)
            pad = -offset % _ALIGN
            fh.write(b"\0" * pad)
            offset += pad
            layout[name] = (offset, a.dtype.str, a.shape)
            if a.nbytes:
                fh.write(a.data.cast("B"))  # the array's own buffer, no intermediate copy
            offset += a.nbytes
    return {"kind": model.kind, "units": model.units, "warnings": list(model.warnings),
            "origin": np.asarray(model.origin, dtype=np.float64), "layout": layout,
            "n_textures": len(g.textures) if isinstance(g, o3d.geometry.TriangleMesh) else 0}


def _worker(path: Path, units: str | None, memory: int, out: Path,
            reader: Reader | None) -> dict[str, Any]:
    try:
        model = (reader or _load_in_process)(path, units)
        return _write_model(model, out)
    except MemoryError:
        raise ResourceLimit(_memory_message(path, memory)) from None


def _memory_message(path: Path, memory: int) -> str:
    return (f"{path.name} needs more memory than the 3D reader may use "
            f"({memory / 1024**3:.1f} GiB); it was stopped.")


# --- parent side -----------------------------------------------------------------------

def _rebuild(manifest: dict[str, Any], out: Path, path: Path) -> Model:
    """Build the Model from the worker's manifest and the arrays it wrote into ``out``."""
    with open(out, "rb") as fh:
        # Copy-on-write mapping: writable views (Open3D refuses read-only arrays) that are
        # never written, so each array is copied exactly once, into Open3D.
        buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        a = {name: np.frombuffer(buffer, dtype=np.dtype(dt), count=int(np.prod(shape)),
                                 offset=offset).reshape(shape)
             for name, (offset, dt, shape) in manifest["layout"].items()}
        geometry = _mesh(a, manifest["n_textures"]) if manifest["kind"] == "mesh" else _cloud(a)
        del a
    finally:
        try:
            buffer.close()
        except BufferError:  # a view is still alive somewhere: let the collector close it
            pass
    kind: Kind = manifest["kind"]
    return Model(geometry=geometry, kind=kind, path=path, units=manifest["units"],
                 warnings=manifest["warnings"], origin=manifest["origin"])


def _mesh(a: dict[str, np.ndarray], n_textures: int) -> o3d.geometry.TriangleMesh:
    v3d = o3d.utility.Vector3dVector
    mesh = o3d.geometry.TriangleMesh(v3d(a["vertices"]), o3d.utility.Vector3iVector(a["triangles"]))
    if "vertex_normals" in a:
        mesh.vertex_normals = v3d(a["vertex_normals"])
    if "vertex_colors" in a:
        mesh.vertex_colors = v3d(a["vertex_colors"])
    if "triangle_normals" in a:
        mesh.triangle_normals = v3d(a["triangle_normals"])
    if "triangle_uvs" in a:
        mesh.triangle_uvs = o3d.utility.Vector2dVector(a["triangle_uvs"])
    if "triangle_material_ids" in a:
        mesh.triangle_material_ids = o3d.utility.IntVector(a["triangle_material_ids"])
    if n_textures:
        mesh.textures = [o3d.geometry.Image(np.ascontiguousarray(a[f"texture{i}"]))  # type: ignore[call-overload]
                         if f"texture{i}" in a else o3d.geometry.Image() for i in range(n_textures)]
    return mesh


def _cloud(a: dict[str, np.ndarray]) -> o3d.geometry.PointCloud:
    v3d = o3d.utility.Vector3dVector
    cloud = o3d.geometry.PointCloud(v3d(a["points"]))
    if "normals" in a:
        cloud.normals = v3d(a["normals"])
    if "colors" in a:
        cloud.colors = v3d(a["colors"])
    return cloud


def _temp_file() -> Path:
    fd, name = tempfile.mkstemp(prefix="heritage-viewer-", suffix=".arrays")
    os.close(fd)
    return Path(name)


def _run(p: Path, units: str | None, limit: int, out: Path, reader: Reader | None, timeout: float,
         cancel: CancelToken | None) -> dict[str, Any]:
    """The worker's manifest; the pool's failures as the viewer's typed errors."""
    cancelled = None if cancel is None else (lambda: cancel.cancelled)
    try:
        return POOL.run(_worker, p, units, limit, out, reader, memory=limit, timeout=timeout, cancelled=cancelled)
    except WorkerCancelled:
        assert cancel is not None
        cancel.raise_if_cancelled()
        raise
    except WorkerTimedOut:
        raise LoadTimeout(f"{p.name} took longer than {timeout:.0f} s to read; it was stopped.") from None
    except WorkerCrashed:
        raise CorruptFile(f"{p.name} made the 3D reader crash; the file is probably damaged or hostile.") from None
    except MemoryError:
        raise ResourceLimit(_memory_message(p, limit)) from None


def load_model_isolated(path: str | Path, *, units: str | None = None, up_axis: str | None = None,
                        timeout: float | None = None, memory: int | None = None,
                        progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                        reader: Reader | None = None) -> Model:
    """:func:`viewer.loading.load_model` in a worker process with memory and time limits.

    Parameters
    ----------
    path, units, up_axis, progress, cancel
        As for :func:`~viewer.loading.load_model` (the turn to "up" is made here, after the
        worker read the file in its own frame). Progress reports the start and the end
        only; the cancel token is watched while waiting and kills the worker.
    timeout
        Seconds the worker may take; by default 300 s + 10 s per 100 MB (:func:`read_limits`).
    memory
        Address-space limit of the worker in bytes; by default 2 GiB plus twice the memory
        the file is expected to take (:func:`expected_bytes`), at most 80 % of the machine's.
    reader
        What the worker runs instead of ``load_model(path, units=units)`` (for tests); it
        must be importable by name (a module-level function).

    Raises
    ------
    FileMissing, UnsupportedFormat, CorruptFile, EmptyGeometry, Cancelled
        As :func:`~viewer.loading.load_model`; ``CorruptFile`` also when the reader crashed.
    ResourceLimit, LoadTimeout
        The file needed more memory or time than allowed, or more memory than this machine
        has (refused before reading, with the amount it needs).
    """
    p = Path(path)
    report(progress, 0, 4, f"Reading {p.name}", cancel)
    if memory is None or timeout is None:
        limits = read_limits(p) if p.is_file() else None
        memory = memory if memory is not None or limits is None else limits.memory
        timeout = timeout if timeout is not None or limits is None else limits.timeout
    limit = memory if memory is not None else default_memory(p)
    timeout = TIMEOUT_S if timeout is None else timeout
    out = _temp_file()
    try:
        manifest = _run(p, units, limit, out, reader, timeout, cancel)
        report(progress, 3, 4, "Preparing the view", cancel)
        model = orient(_rebuild(manifest, out, p), up_axis)
    finally:
        out.unlink(missing_ok=True)
    report(progress, 4, 4, "Loaded", cancel)
    return model


__all__ = ["default_memory", "expected_bytes", "limit_memory", "load_model_isolated", "read_limits"]
