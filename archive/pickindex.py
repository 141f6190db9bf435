"""A spatial index of a master for picking and measuring at full resolution, built once and
kept next to its levels of detail under ``derived/levels/<uid>/``.

The viewer shows a lighter level of a big scan but must pick on the master. Loading a
50M-triangle master into Open3D costs gigabytes of float64; instead the master is written
once, compactly, in an order where nearby triangles (or points) sit together, with boxes
around each run of them, so a ray touches only the few pages along its way:

* ``<sha>.pick.vertices.npy``: (n, 3) float32 vertices relative to ``origin`` (for a cloud:
  the points, in index order);
* ``<sha>.pick.faces.npy``: (m, 3) int32 triangles in index order (meshes only);
* ``<sha>.pick.boxes.npy``: (k, 6) float32 boxes (min xyz, max xyz): first one per leaf of
  :data:`LEAF` consecutive triangles/points, then one per group of :data:`FAN` boxes of the
  level below, up to a top level of at most :data:`FAN` boxes;
* ``<sha>.pick.json``: what the files hold (``FORMAT_VERSION``, counts, origin, level sizes),
  written last: a build stopped half way leaves no manifest and is made again.

Index order is the Morton (Z-order) code of each triangle's centroid or each point on a
2^21 grid per axis, sorted out of core in runs of at most ``chunk`` elements whatever the
distribution (:mod:`archive.pickindex_sort`). Memory is a few chunks plus the vertex map
(pages of the output file), never the whole master twice. The viewer reads the files with
``viewer.pickindex`` (memory-mapped).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from platform_support import replacing, temp_beside

from .errors import CorruptFile, EmptyModel
from .pickindex_sort import MortonGrid, RowFile, RowsOnDisk, external_sort
from .store import CancelToken

FORMAT_VERSION = 1
LEAF = 64
FAN = 16
CHUNK = 2_000_000

Progress = Callable[[int, int, str], None]


def index_files(folder: Path, sha256: str) -> dict[str, Path]:
    """The files of the index of the master with this hash, by role."""
    return {role: folder / f"{sha256}.pick.{role}.npy" for role in ("vertices", "faces", "boxes")} | {
        "manifest": folder / f"{sha256}.pick.json"}


def find_pick_index(folder: Path, sha256: str) -> Path | None:
    """The manifest of a complete index of this master (None when there is none yet)."""
    files = index_files(folder, sha256)
    try:
        data = json.loads(files["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or data.get("sha256") != sha256:
        return None
    needed = ["vertices", "boxes"] + (["faces"] if data.get("kind") == "mesh" else [])
    return files["manifest"] if all(files[r].is_file() for r in needed) else None


def build_pick_index(vertices: Any, faces: Any, origin: np.ndarray, folder: Path, sha256: str,
                     progress: Progress | None = None, cancel: CancelToken | None = None,
                     chunk: int = CHUNK, shift: np.ndarray | None = None) -> Path:
    """Write the index of one master and return its manifest.

    Parameters
    ----------
    vertices
        (n, 3) coordinates, any float type, an array or a memory map read in chunks; the
        index keeps ``vertices - shift`` as float32 relative to ``origin`` (3,).
    faces
        (m, 3) integer triangles (array or memory map), or None for a point cloud.
    """
    n = len(vertices)
    if n == 0:
        raise EmptyModel(f"{sha256[:12]}: the master holds no vertices to index")
    folder.mkdir(parents=True, exist_ok=True)
    files = index_files(folder, sha256)
    files["manifest"].unlink(missing_ok=True)
    step = _Steps(progress, cancel, 6)
    shift = np.zeros(3) if shift is None else np.asarray(shift, dtype=np.float64)
    kind = "mesh" if faces is not None and len(faces) else "points"
    tmp = {r: temp_beside(p) for r, p in files.items()}  # two PCs may index the same master at once
    try:
        if kind == "mesh":
            count, leaves = _index_mesh(vertices, faces, shift, tmp, chunk, step)
        else:
            count, leaves = _index_points(vertices, shift, tmp, chunk, step)
        step("Index: boxes")
        levels = _write_boxes(leaves, tmp["boxes"])
        for role in ("vertices", "faces", "boxes"):
            if tmp[role].exists():
                os.replace(tmp[role], files[role])
    finally:
        for p in tmp.values():
            p.unlink(missing_ok=True)
    manifest = {"version": FORMAT_VERSION, "sha256": sha256, "kind": kind, "origin": [float(c) for c in origin],
                "vertices": n, "faces": count if kind == "mesh" else 0, "leaf": LEAF, "fan": FAN, "levels": levels}
    with replacing(files["manifest"]) as part:
        part.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    step("Index ready")
    return files["manifest"]


class _Steps:
    def __init__(self, progress: Progress | None, cancel: CancelToken | None, total: int) -> None:
        self.progress, self.cancel, self.total, self.done = progress, cancel, total, 0

    def __call__(self, message: str) -> None:
        self.check()
        if self.progress:
            self.progress(min(self.done, self.total), self.total, message)
        self.done += 1

    def check(self) -> None:
        if self.cancel:
            self.cancel.check()


# --- meshes ----------------------------------------------------------------------------

def _index_mesh(vertices: Any, faces: Any, shift: np.ndarray, tmp: dict[str, Path], chunk: int,
                step: _Steps) -> tuple[int, np.ndarray]:
    n, m = len(vertices), len(faces)
    step("Index: vertices")
    lo, hi = _write_vertices(vertices, shift, tmp["vertices"], chunk, step)
    in_memory = isinstance(vertices, np.ndarray) and not isinstance(vertices, np.memmap)
    # Triangle centres gather vertices at random: from memory (12 bytes a vertex), not a map.
    local = vertices if in_memory and vertices.dtype == np.float32 and not shift.any() else np.load(tmp["vertices"])
    grid = MortonGrid(lo, hi)

    def rows(a: int, b: int) -> np.ndarray:
        f = np.asarray(faces[a:b])
        if len(f) and (f.min() < 0 or f.max() >= n):
            raise CorruptFile("a triangle of the master names a vertex that does not exist")
        return f.astype(np.int32, copy=False)

    def codes(a: int, b: int) -> np.ndarray:
        f = rows(a, b)
        centre = local[f[:, 0]].astype(np.float64)
        centre += local[f[:, 1]]
        centre += local[f[:, 2]]
        centre /= 3.0
        return grid.codes(centre)

    external_sort(rows, codes, m, tmp["faces"], np.dtype(np.int32), chunk, step)
    return m, _renumber(local, tmp, chunk, step)


def _renumber(local: np.ndarray, tmp: dict[str, Path], chunk: int, step: _Steps) -> np.ndarray:
    """Number the vertices in the order the sorted triangles first use them, so a leaf's
    triangles name a few neighbouring vertices: a pick on a cold disk reads a page or two
    per leaf, not one per corner. Holds 8 bytes per vertex (the old-to-new map and back).
    Returns the (leaves, 6) leaf boxes, made on the way."""
    n = len(local)
    new = np.full(n, -1, dtype=np.int32)
    taken, leaves = 0, []
    with RowsOnDisk(tmp["faces"], writable=True) as faces:
        for a in range(0, faces.shape[0], _leaf_aligned(chunk)):
            step.check()
            f = faces.read_rows(a, a + _leaf_aligned(chunk))
            leaves.append(_leaf_boxes(local[f.reshape(-1)].reshape(len(f), 3, 3)))
            flat = f.reshape(-1)
            unseen = flat[new[flat] < 0]
            ids, first = np.unique(unseen, return_index=True)
            ids = ids[np.argsort(first)]  # in order of first use
            new[ids] = np.arange(taken, taken + len(ids), dtype=np.int32)
            taken += len(ids)
            faces.write_rows(a, new[f])
    unused = new < 0
    new[unused] = np.arange(taken, taken + int(unused.sum()), dtype=np.int32)
    old = np.empty(n, dtype=np.int32)
    old[new] = np.arange(n, dtype=np.int32)
    del new, unused
    with RowFile(tmp["vertices"], (n, 3), np.dtype(np.float32)) as out:
        for a in range(0, n, chunk):
            out.write_rows(a, local[old[a:a + chunk]])
    return np.concatenate(leaves)


def _leaf_aligned(chunk: int) -> int:
    return max(LEAF, chunk // LEAF * LEAF)


def _write_vertices(vertices: Any, shift: np.ndarray, out: Path, chunk: int,
                    step: _Steps) -> tuple[np.ndarray, np.ndarray]:
    """Write ``vertices - shift`` as float32 into the .npy ``out``; their finite bounds."""
    n = len(vertices)
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    with RowFile(out, (n, 3), np.dtype(np.float32)) as w:
        for a in range(0, n, chunk):
            step.check()
            v = (np.asarray(vertices[a:a + chunk], dtype=np.float64) - shift).astype(np.float32)
            w.write_rows(a, v)
            lo, hi = finite_bounds(v, lo, hi)
    return lo, hi


def finite_bounds(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(v).all(axis=1)
    if ok.any():
        lo, hi = np.fmin(lo, v[ok].min(axis=0)), np.fmax(hi, v[ok].max(axis=0))
    return lo, hi


# --- clouds ----------------------------------------------------------------------------

def _index_points(points: Any, shift: np.ndarray, tmp: dict[str, Path], chunk: int,
                  step: _Steps) -> tuple[int, np.ndarray]:
    n = len(points)
    step("Index: bounds")
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for a in range(0, n, chunk):
        step.check()
        lo, hi = finite_bounds(np.asarray(points[a:a + chunk], dtype=np.float64) - shift, lo, hi)
    grid = MortonGrid(lo, hi)

    def rows(a: int, b: int) -> np.ndarray:
        return (np.asarray(points[a:b], dtype=np.float64) - shift).astype(np.float32)

    external_sort(rows, lambda a, b: grid.codes(rows(a, b).astype(np.float64)), n, tmp["vertices"],
                   np.dtype(np.float32), chunk, step)
    with RowsOnDisk(tmp["vertices"]) as placed:
        leaves = [_leaf_boxes(placed.read_rows(a, a + _leaf_aligned(chunk))[:, None, :])
                  for a in range(0, n, _leaf_aligned(chunk))]
    return n, np.concatenate(leaves)


# --- boxes -----------------------------------------------------------------------------

def _write_boxes(leaves: np.ndarray, out: Path) -> list[int]:
    """Write the leaf boxes and the levels above them into ``out``; the count of each level."""
    levels = [leaves]
    while len(levels[-1]) > FAN:
        levels.append(_parents(levels[-1]))
    with open(out, "wb") as fh:
        np.save(fh, np.concatenate(levels).astype(np.float32))
    return [len(level) for level in levels]


def _leaf_boxes(pts: np.ndarray) -> np.ndarray:
    """(k, 6) boxes of consecutive runs of :data:`LEAF` rows of (r, c, 3) corner positions."""
    lo, hi = pts[:, 0], pts[:, 0]
    for c in range(1, pts.shape[1]):
        lo, hi = np.fmin(lo, pts[:, c]), np.fmax(hi, pts[:, c])
    pad = -len(pts) % LEAF
    if pad:
        lo = np.concatenate([lo, np.full((pad, 3), np.nan, np.float32)])
        hi = np.concatenate([hi, np.full((pad, 3), np.nan, np.float32)])
    lo = np.fmin.reduce(lo.reshape(-1, LEAF, 3), axis=1)
    hi = np.fmax.reduce(hi.reshape(-1, LEAF, 3), axis=1)
    return _empty_as_inverted(np.concatenate([lo, hi], axis=1))


def _parents(boxes: np.ndarray) -> np.ndarray:
    pad = -len(boxes) % FAN
    b = np.concatenate([boxes, np.full((pad, 6), np.nan, np.float32)]) if pad else boxes
    b = b.reshape(-1, FAN, 6)
    return _empty_as_inverted(np.concatenate([np.fmin.reduce(b[:, :, :3], axis=1),
                                              np.fmax.reduce(b[:, :, 3:], axis=1)], axis=1))


def _empty_as_inverted(boxes: np.ndarray) -> np.ndarray:
    """A box with no finite corner can never be hit: min +inf, max -inf."""
    bad = ~np.isfinite(boxes).all(axis=1)
    boxes[bad, :3], boxes[bad, 3:] = np.inf, -np.inf
    return boxes
