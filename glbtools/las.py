"""LAS/LAZ read in chunks into compact arrays, shared by the archive (export) and the viewer,
which may not import each other.

Coordinates become float32 relative to an origin the caller chooses from the header's bounds
(georeferenced data keeps its millimetres), colours stay uint16 as the file has them; peak
memory is about 20 bytes per point plus one chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Origin = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (header mins, maxs) -> (3,) origin


def read_las_chunks(path: Path, origin_of: Origin, chunk: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray,
                                                                         int]:
    """(points (m, 3) float32 minus the origin, raw RGB (m, 3) uint16 or None, origin (3,),
    the point count the header declares). ``m`` may be below the declared count for a
    truncated file: the caller decides whether that is an error."""
    import laspy

    with laspy.open(str(path)) as reader:
        header: Any = reader.header
        declared = int(header.point_count)
        origin = origin_of(np.asarray(header.mins, dtype=np.float64), np.asarray(header.maxs, dtype=np.float64))
        rgb = {"red", "green", "blue"} <= set(header.point_format.dimension_names)
        points = np.empty((declared, 3), dtype=np.float32)
        raw = np.empty((declared, 3), dtype=np.uint16) if rgb else None
        at = 0
        for block in reader.chunk_iterator(chunk):
            m = len(block)
            for k, axis in enumerate("xyz"):
                points[at:at + m, k] = np.asarray(getattr(block, axis)) - origin[k]
            if raw is not None:
                raw[at:at + m] = np.column_stack([block.red, block.green, block.blue])
            at += m
    return points[:at], None if raw is None else raw[:at], origin, declared


__all__ = ["read_las_chunks"]
