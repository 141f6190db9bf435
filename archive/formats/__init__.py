"""Format identification and safe, fast inspection of 3D scans for import.

A new format is one module with an ``inspect_<fmt>(path, root, limits) -> ScanInfo``
function and one entry in :data:`READERS` (trimesh's ``exchange/export.py`` style).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archive.errors import ArchiveError, CorruptFile, LimitExceeded
from archive.formats._common import check_limits_file
from archive.formats.base import DEFAULT_LIMITS, Limits, ScanInfo
from archive.formats.gltf import inspect_glb, inspect_gltf
from archive.formats.identify import SCAN_SUFFIXES, SIDE_FILE_SUFFIXES, identify, is_side_file
from archive.formats.lidar import inspect_e57, inspect_las
from archive.formats.obj import inspect_obj
from archive.formats.off import inspect_off
from archive.formats.ply import inspect_ply
from archive.formats.pointclouds import inspect_pcd, inspect_pts, inspect_xyz
from archive.formats.refs import check_inside
from archive.formats.stl import inspect_stl

Reader = Callable[[Path, Path, Limits], ScanInfo]

READERS: dict[str, Reader] = {
    "ply": inspect_ply,
    "obj": inspect_obj,
    "stl": inspect_stl,
    "off": inspect_off,
    "gltf": inspect_gltf,
    "glb": inspect_glb,
    "pcd": inspect_pcd,
    "xyz": inspect_xyz,
    "pts": inspect_pts,
    "e57": inspect_e57,
    "las": inspect_las,
    "laz": inspect_las,
}

__all__ = [
    "DEFAULT_LIMITS",
    "READERS",
    "SCAN_SUFFIXES",
    "SIDE_FILE_SUFFIXES",
    "Limits",
    "ScanInfo",
    "identify",
    "inspect_scan",
    "is_side_file",
]


def inspect_scan(path: Path, root: Path, limits: Limits = DEFAULT_LIMITS) -> ScanInfo:
    """Technical metadata of the scan at ``path`` and every file that makes it up.

    Parameters
    ----------
    path : Path
        The main file; must lie inside ``root``.
    root : Path
        The import folder. Referenced files (MTL, textures, glTF buffers and images) are
        resolved inside it only; ``ScanInfo.files`` are POSIX paths relative to it, the
        main file first.
    limits : Limits
        Bounds checked before anything is allocated.

    Raises
    ------
    UnsupportedFormat, CorruptFile, EmptyModel, UnsafeReference, LimitExceeded
        Always a subclass of :class:`archive.errors.ArchiveError`; a third-party parser's
        exception becomes ``CorruptFile``, ``MemoryError`` becomes ``LimitExceeded``.
    """
    path, root = Path(path), Path(root)
    check_inside(path, root)
    check_limits_file(path, limits)
    fmt = identify(path)
    try:
        info = READERS[fmt](path, root, limits)
    except ArchiveError:
        raise
    except MemoryError:
        raise LimitExceeded(f"{path.name}: not enough memory to inspect this file.") from None
    except RecursionError:
        raise CorruptFile(f"{path.name}: the file is nested too deeply to read.") from None
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise anything
        raise CorruptFile(f"{path.name}: cannot be read as {fmt.upper()} ({type(exc).__name__}: {exc}).") from exc
    info.details.setdefault("bytes", path.stat().st_size)
    return info
