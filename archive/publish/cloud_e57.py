"""An E57 file's scans read a block at a time, each placed by its pose.

pye57's ``read_scan`` allocates buffers for a whole scan (a 500M-point scan is ~20 GB), so
each scan is read here through libe57format's own ``CompressedVectorReader`` (reached as
``pye57.libe57``) into buffers of :data:`.cloudstream.CHUNK` points, refilled by every
``read()``, as pye57 sets them up for ``read_scan_raw``. Each block gets what ``read_scan``
does to a whole scan: points whose ``cartesianInvalidState`` (``sphericalInvalidState``) is
not 0 are dropped; a spherical scan (range, azimuth, elevation) is turned into x, y, z by
pye57's own conversion; the scan's pose (a quaternion and a translation) is applied. Colours
are read as 16-bit values and brought to 8 bits when the scan's colour field declares a
maximum above 255 (the rule of the whole reader, ``/ 257`` when over 255, per scan).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archive.errors import CorruptFile

from . import cloudstream
from .cloudstream import Chunk, _Affine, _finite
from .modelframe import ModelFrame

_CARTESIAN = ("cartesianX", "cartesianY", "cartesianZ")
_SPHERICAL = ("sphericalRange", "sphericalAzimuth", "sphericalElevation")
_COLOURS = ("colorRed", "colorGreen", "colorBlue")


@dataclass
class ScanPlan:
    """What to read of one scan: its index, point count, coordinate fields (cartesian or
    spherical), invalid-state field (or None), pose and colour depth (or None: no colour)."""

    index: int
    count: int
    coordinates: tuple[str, str, str]
    invalid: str | None
    rotation: np.ndarray
    translation: np.ndarray
    colour_max: int | None


class E57Source:
    """Every scan of an E57 file, a block of ``chunk`` points at a time, placed by its pose
    and moved into ``frame``."""

    def __init__(self, path: Path, frame: ModelFrame, chunk: int | None = None):
        import pye57

        self.path, self.frame, self.chunk = path, frame, chunk or cloudstream.CHUNK
        self.moved = _Affine(frame)
        try:
            e57 = pye57.E57(str(path))
        except Exception as exc:  # noqa: BLE001 - libe57 raises its own exception types
            raise CorruptFile(f"{path.name}: the E57 file cannot be opened ({exc}).") from None
        try:
            self.plans = [_plan(e57, i, path.name) for i in range(e57.scan_count)]
        except pye57.libe57.E57Exception as exc:
            raise CorruptFile(f"{path.name}: the E57 file's scan headers cannot be read ({exc}).") from None
        finally:
            e57.close()
        self.count = sum(p.count for p in self.plans)
        self.coloured = bool(self.plans) and all(p.colour_max is not None for p in self.plans)
        self._box: tuple[np.ndarray, np.ndarray] | None = None

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The box of every valid point in the frame: one pass over the coordinates (scan
        headers' boxes are not trusted: writers disagree on whether they include the pose)."""
        if self._box is None:
            lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
            for points, _ in self._blocks(colours=False):
                if len(points):
                    lo, hi = np.minimum(lo, points.min(0)), np.maximum(hi, points.max(0))
            if not np.isfinite(lo).all():
                raise CorruptFile(f"{self.path.name}: the E57 file holds no valid points.")
            self._box = lo, hi
        return self._box

    def chunks(self) -> Iterator[Chunk]:
        """(points (m, 3) float64 in the frame, colours (m, 4) uint8 or None)."""
        yield from self._blocks(colours=self.coloured)

    def _blocks(self, colours: bool) -> Iterator[Chunk]:
        import pye57

        e57 = pye57.E57(str(self.path))
        try:
            for plan in self.plans:
                yield from self._scan(e57, plan, colours)
        except pye57.libe57.E57Exception as exc:
            raise CorruptFile(f"{self.path.name}: the points of the E57 file cannot be read; it is damaged "
                              f"or truncated ({exc}).") from None
        finally:
            e57.close()

    def _scan(self, e57: Any, plan: ScanPlan, colours: bool) -> Iterator[Chunk]:
        from pye57 import libe57

        capacity = max(1, min(self.chunk, plan.count))
        fields = [*plan.coordinates, *([plan.invalid] if plan.invalid else []), *(_COLOURS if colours else ())]
        arrays = {f: np.empty(capacity, _buffer_type(f)) for f in fields}
        buffers = libe57.VectorSourceDestBuffer()
        for f in fields:
            buffers.append(libe57.SourceDestBuffer(e57.image_file, f, arrays[f], capacity, True, True))
        reader = e57.get_header(plan.index).points.reader(buffers)
        try:
            read = 0
            while got := reader.read():
                read += got
                yield self._block(plan, {f: a[:got] for f, a in arrays.items()}, colours)
        finally:
            reader.close()
        if read < plan.count:
            raise CorruptFile(f"{self.path.name}: scan {plan.index} declares {plan.count:,} points but only "
                              f"{read:,} could be read.")

    def _block(self, plan: ScanPlan, data: dict[str, np.ndarray], colours: bool) -> Chunk:
        if plan.invalid is not None:
            valid = data[plan.invalid] == 0
            if not valid.all():
                data = {f: a[valid] for f, a in data.items()}
        xyz = np.column_stack([data[f] for f in plan.coordinates])
        if plan.coordinates == _SPHERICAL:
            from pye57.utils import convert_spherical_to_cartesian

            xyz = convert_spherical_to_cartesian(xyz)
        xyz = np.einsum("ij,kj->ik", xyz, plan.rotation) + plan.translation
        rgba = None
        if colours:
            raw = np.column_stack([data[f] for f in _COLOURS]).astype(np.float64)
            rgba = np.full((len(raw), 4), 255, dtype=np.uint8)
            rgba[:, :3] = (raw / 257.0 if (plan.colour_max or 0) > 255 else raw).round().clip(0, 255)
        return _finite(self.moved(xyz), rgba)


def _buffer_type(field: str) -> str:
    if field in _COLOURS:
        return "<u2"  # 16-bit colours fit; 8-bit ones too
    return "<i1" if field.endswith("InvalidState") else "<f8"


def _plan(e57: Any, index: int, name: str) -> ScanPlan:
    header = e57.get_header(index)
    fields = set(header.point_fields)
    if set(_CARTESIAN) <= fields:
        coordinates, invalid = _CARTESIAN, "cartesianInvalidState"
    elif set(_SPHERICAL) <= fields:
        coordinates, invalid = _SPHERICAL, "sphericalInvalidState"
    else:
        raise CorruptFile(f"{name}: scan {index} holds neither cartesian nor spherical coordinates.")
    rotation, translation = np.eye(3), np.zeros(3)
    if header.has_pose():  # pye57's rule: no pose, the scan's own frame
        rotation = np.asarray(header.rotation_matrix, np.float64)
        translation = np.asarray(header.translation, np.float64)
    return ScanPlan(index, int(header.point_count), coordinates, invalid if invalid in fields else None,
                    rotation, translation, _colour_max(header) if set(_COLOURS) <= fields else None)


def _colour_max(header: Any) -> int:
    """The largest value the scan's red field may hold (255 for 8-bit colours)."""
    from pye57 import libe57
    from pye57.utils import get_node

    try:
        node = get_node(libe57.StructureNode(header.points.prototype()), "colorRed")
        return int(node.maximum())
    except Exception:  # noqa: BLE001 - an unusual prototype: take 8-bit colours
        return 255
