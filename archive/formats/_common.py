"""Helpers shared by the format readers: size checks, bounding boxes, text blocks."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile, EmptyModel, LimitExceeded
from archive.formats.base import Limits

Vec3 = tuple[float, float, float]


def file_size(path: Path) -> int:
    """Size of ``path`` in bytes."""
    return os.stat(path).st_size


def check_count(declared: int, limit: int, what: str, name: str) -> None:
    """Refuse a declared element count beyond ``limit`` before anything is allocated."""
    if declared < 0:
        raise CorruptFile(f"{name}: declares a negative number of {what} ({declared}).")
    if declared > limit:
        raise LimitExceeded(f"{name}: declares {declared:,} {what}; the archive accepts at most {limit:,}.")


def check_room(needed: int, available: int, what: str, name: str) -> None:
    """Refuse a file that declares more bytes of ``what`` than it holds."""
    if needed > available:
        raise LimitExceeded(
            f"{name}: declares {what} needing at least {needed:,} bytes but only "
            f"{available:,} bytes follow; the file is truncated or its header lies."
        )


@contextmanager
def mapped(path: Path) -> Iterator[mmap.mmap]:
    """Read-only memory map of a non-empty file (closed on exit)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        yield mm


def bbox(xyz: np.ndarray, warn: list[str]) -> tuple[Vec3 | None, Vec3 | None]:
    """Axis-aligned bounds of finite points.

    Parameters
    ----------
    xyz : (n, 3) float
        Coordinates; rows with NaN/inf are ignored with a warning (policy: a scan with a
        few invalid points is still a scan; one with no finite point has no box).
    warn : list of str
        Receives the warning.
    """
    if xyz.shape[0] == 0:
        return None, None
    lo = xyz.min(axis=0)
    hi = xyz.max(axis=0)
    if np.isfinite(lo).all() and np.isfinite(hi).all():
        return _vec(lo), _vec(hi)
    finite = np.isfinite(xyz).all(axis=1)
    bad = int(xyz.shape[0] - np.count_nonzero(finite))
    warn.append(f"{bad:,} point(s) have NaN or infinite coordinates; ignored in the bounds")
    if not finite.any():
        return None, None
    good = xyz[finite]
    return _vec(good.min(axis=0)), _vec(good.max(axis=0))


def bbox_columns(cols: list[np.ndarray], warn: list[str]) -> tuple[Vec3 | None, Vec3 | None]:
    """Bounds from three 1-D (possibly strided, memory-mapped) coordinate columns."""
    if cols[0].shape[0] == 0:
        return None, None
    lo = [float(c.min()) for c in cols]
    hi = [float(c.max()) for c in cols]
    if np.isfinite(lo + hi).all():
        return (lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])
    with np.errstate(invalid="ignore", over="ignore"):  # damaged values are reported by bbox()
        stacked = np.column_stack([np.asarray(c, dtype=np.float64) for c in cols])
    return bbox(stacked, warn)


def _vec(a: np.ndarray) -> Vec3:
    return (float(a[0]), float(a[1]), float(a[2]))


def merge_boxes(
    boxes: list[tuple[Vec3, Vec3]],
) -> tuple[Vec3 | None, Vec3 | None]:
    """Union of boxes; ``(None, None)`` for none."""
    if not boxes:
        return None, None
    lo = np.min([b[0] for b in boxes], axis=0)
    hi = np.max([b[1] for b in boxes], axis=0)
    return _vec(lo), _vec(hi)


def require_geometry(count: int, name: str, what: str = "vertices") -> None:
    """Raise ``EmptyModel`` when a file holds no geometry."""
    if count <= 0:
        raise EmptyModel(f"{name}: the file holds no {what}; there is nothing to import.")


def check_limits_file(path: Path, limits: Limits) -> int:
    """Size of ``path``, refused beyond ``limits.max_file_bytes``."""
    size = file_size(path)
    if size > limits.max_file_bytes:
        raise LimitExceeded(
            f"{path.name}: {size:,} bytes is larger than the archive accepts ({limits.max_file_bytes:,})."
        )
    return size


def declared_vs_real(declared: int, real: int, what: str, name: str, warn: list[str]) -> None:
    """Compare a header's count with what the data really holds: fewer is refused (readers
    would invent the rest as zeros); more is a warning that the surplus is not read."""
    if real < declared:
        raise CorruptFile(f"{name}: declares {declared:,} {what} but holds only {real:,}; the file is truncated "
                          "or its header lies.")
    if real > declared:
        warn.append(f"the header declares {declared:,} {what} but the file holds {real:,}; only {declared:,} are read")
