"""Survey point clouds: LAS/LAZ (laspy header only) and E57 (pye57 scan headers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archive.formats import _common as C
from archive.formats.base import Limits, ScanInfo
from archive.formats.las_units import geokeys_unit, wkt_unit
from archive.formats.refs import rel_posix
from archive.formats.units import declare

_CRS_RECORDS = {2112: "WKT", 34735: "GeoTIFF keys"}


def inspect_las(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect a LAS or LAZ file from its header; see :func:`archive.formats.inspect_scan`."""
    import laspy  # late: only imports cost for users of these formats

    with laspy.open(str(path)) as reader:
        h = reader.header
    n = int(h.point_count)
    C.check_count(n, limits.max_vertices, "points", path.name)
    fmt = h.point_format
    compressed = bool(getattr(fmt, "id", 0) & 0x80) or path.suffix.lower() == ".laz" or h.are_points_compressed
    if not compressed:
        need = int(h.offset_to_point_data) + n * int(fmt.size)
        C.check_room(need, C.file_size(path), f"{n:,} LAS points", path.name)
    info = ScanInfo(format="laz" if compressed else "las", geometry="points", files=[rel_posix(path, root)])
    info.points = info.vertices = n
    C.require_geometry(n, path.name, "points")
    info.bbox_min, info.bbox_max = C._vec(np.asarray(h.mins)), C._vec(np.asarray(h.maxs))
    info.vertex_colors = "red" in set(fmt.dimension_names)
    crs = [_CRS_RECORDS[v.record_id] for v in h.vlrs if v.record_id in _CRS_RECORDS]
    info.details.update(
        encoding="laz" if compressed else "binary", version=str(h.version), point_format=int(fmt.id),
        generator=str(h.generating_software).strip("\x00 "), system=str(h.system_identifier).strip("\x00 "),
        scales=[float(s) for s in h.scales], crs=crs or None,
    )  # fmt: skip
    _declare_las_units(info, [*h.vlrs, *(getattr(h, "evlrs", None) or [])])
    return info


def las_point_count(path: Path) -> int:
    """The number of points a LAS/LAZ header declares (nothing else is read)."""
    import laspy

    with laspy.open(str(path)) as reader:
        return int(reader.header.point_count)


def _declare_las_units(info: ScanInfo, records: list[object]) -> None:
    """LAS coordinates are in the units of the file's coordinate system (metres without one)."""
    wkt = next((r for r in records if getattr(r, "record_id", None) == 2112), None)
    keys = next((r for r in records if getattr(r, "record_id", None) == 34735), None)
    if wkt is None and keys is None:
        declare(info, "m", "a LAS file without a coordinate system is in metres")
    elif wkt is not None and (unit := wkt_unit(_wkt_text(wkt))) is not None:
        declare(info, unit, "the LAS coordinate system (WKT)")
    elif keys is not None and (unit := geokeys_unit(_geokeys(keys))) is not None:
        declare(info, unit, "the LAS coordinate system (GeoTIFF keys)")
    else:
        info.warnings.append("the LAS coordinate system names no length unit the archive can read "
                             "(geographic degrees, or only an EPSG code): its units were not taken from the file")


def _wkt_text(record: object) -> str:
    text = getattr(record, "string", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else bytes(getattr(record, "record_data", b"")).decode("utf-8", "replace")


def _geokeys(record: object) -> list[tuple[int, int, int]]:
    return [(int(k.id), int(k.tiff_tag_location), int(k.value_offset)) for k in getattr(record, "geo_keys", [])]


def inspect_e57(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect an E57 file from its scan headers (no points are read)."""
    import pye57

    e57 = pye57.E57(str(path))
    try:
        info = ScanInfo(format="e57", geometry="points", files=[rel_posix(path, root)])
        boxes = []
        for i in range(e57.scan_count):
            header = e57.get_header(i)
            info.points += int(header.point_count)
            box = _scan_box(header)
            if box is not None:
                boxes.append(box)
            info.vertex_colors = info.vertex_colors or _has_colour(header)
        info.vertices = info.points
        C.check_count(info.points, limits.max_vertices, "points", path.name)
        C.require_geometry(info.points, path.name, "points")
        info.bbox_min, info.bbox_max = C.merge_boxes(boxes)
        info.details.update(encoding="binary", scans=e57.scan_count)
        declare(info, "m", "the E57 standard defines metres")
        if boxes and len(boxes) < e57.scan_count:
            info.warnings.append("some scans declare no cartesian bounds")
        return info
    finally:
        e57.close()


def _scan_box(header: object) -> tuple[C.Vec3, C.Vec3] | None:
    """World box of a scan's cartesianBounds (local frame, moved by the scan pose)."""
    try:
        lo = np.array([header.xMinimum, header.yMinimum, header.zMinimum], dtype=np.float64)  # type: ignore[attr-defined]
        hi = np.array([header.xMaximum, header.yMaximum, header.zMaximum], dtype=np.float64)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - pye57 raises plain exceptions for absent nodes
        return None
    try:
        rot = np.asarray(header.rotation_matrix, dtype=np.float64)  # type: ignore[attr-defined]
        trans = np.asarray(header.translation, dtype=np.float64)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - no pose: local frame is the world frame
        rot, trans = np.eye(3), np.zeros(3)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    world = corners @ rot.T + trans
    return C._vec(world.min(axis=0)), C._vec(world.max(axis=0))


def _has_colour(header: object) -> bool:
    try:
        proto = header.points["prototype"]  # type: ignore[attr-defined]
        return any(proto[i].elementName() == "colorRed" for i in range(proto.childCount()))
    except Exception:  # noqa: BLE001 - unknown layout: say no colour
        return False
