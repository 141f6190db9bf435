"""STL, binary (memory-mapped) and ascii (one regex pass)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import _common as C
from archive.formats.base import Limits, ScanInfo
from archive.formats.refs import rel_posix

_TRI = np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])
_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)")
_MAX_ASCII = 2 * 1024**3


def inspect_stl(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect an STL file; see :func:`archive.formats.inspect_scan`."""
    size = C.file_size(path)
    with open(path, "rb") as fh:
        head = fh.read(512)
    info = ScanInfo(format="stl", geometry="mesh", files=[rel_posix(path, root)])
    text_like = head.lstrip().startswith(b"solid") and (b"facet" in head or b"endsolid" in head)
    if size >= 84 and not (text_like and not _binary_size_ok(head, size)):
        _binary(path, size, head, info, limits)
    else:
        _ascii(path, size, info, limits)
    C.require_geometry(info.faces, path.name, "triangles")
    info.vertices = 3 * info.faces
    info.details["vertices_unmerged"] = True
    return info


def _binary_size_ok(head: bytes, size: int) -> bool:
    return size == 84 + 50 * struct.unpack("<I", head[80:84])[0]


def _binary(path: Path, size: int, head: bytes, info: ScanInfo, limits: Limits) -> None:
    declared = struct.unpack("<I", head[80:84])[0]
    fits = (size - 84) // 50
    count = declared
    if size != 84 + 50 * declared:
        if (size - 84) % 50 == 0 and fits:
            # What common readers do: trust the size, which is a whole number of triangles.
            info.warnings.append(
                f"header declares {declared:,} triangles but the file holds {fits:,}; the file size was trusted"
            )
            count = fits
        elif declared and 84 + 50 * declared < size:
            info.warnings.append(f"{size - 84 - 50 * declared:,} unexpected bytes after the triangles")
        else:
            raise CorruptFile(
                f"{path.name}: binary STL declares {declared:,} triangles ({84 + 50 * declared:,} "
                f"bytes) but the file is {size:,} bytes; it is truncated or not an STL."
            )
    C.check_count(count, limits.max_faces, "triangles", path.name)
    info.faces = count
    info.details.update(encoding="binary", header=head[:80].rstrip(b"\x00 ").decode("latin-1"))
    if count:
        tris = np.memmap(path, dtype=_TRI, mode="r", offset=84, shape=(count,))
        v = tris["v"]
        cols = [v[:, :, k] for k in range(3)]
        info.bbox_min, info.bbox_max = C.bbox_columns(cols, info.warnings)
        info.details["attribute_bytes_used"] = bool(tris["attr"].any())


def _ascii(path: Path, size: int, info: ScanInfo, limits: Limits) -> None:
    if size > _MAX_ASCII:
        raise LimitExceeded(f"{path.name}: ascii STL larger than {_MAX_ASCII:,} bytes.")
    data = path.read_bytes()
    if not data.lstrip().startswith(b"solid"):
        raise CorruptFile(f"{path.name}: neither a binary nor an ascii STL.")
    facets = data.count(b"endfacet")
    C.check_count(facets, limits.max_faces, "triangles", path.name)
    coords = _VERTEX.findall(data)
    if len(coords) != 3 * facets:
        raise CorruptFile(f"{path.name}: {facets:,} facets but {len(coords):,} vertices (expected 3 per facet).")
    info.faces = facets
    info.details.update(encoding="ascii", solids=len(re.findall(rb"(?m)^\s*solid", data)))
    if coords:
        try:
            xyz = np.array(coords, dtype=np.float64)
        except ValueError:
            raise CorruptFile(f"{path.name}: an ascii STL vertex is not a number.") from None
        info.bbox_min, info.bbox_max = C.bbox(xyz, info.warnings)
