"""Format identification and safe, fast inspection of 3D scans for import.

A new format is one module with an ``inspect_<fmt>(path, root, limits) -> ScanInfo``
function and one row in :data:`archive.formats.registry.IMPORT_FORMATS` (trimesh's
``exchange/export.py`` style); :data:`READERS` is derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archive.errors import ArchiveError, CorruptFile, LimitExceeded
from archive.formats._common import check_limits_file
from archive.formats.base import DEFAULT_LIMITS, Limits, ScanInfo
from archive.formats.identify import SIDE_FILE_SUFFIXES, identify, is_side_file
from archive.formats.refs import check_inside
from archive.formats.registry import IMPORT_FORMATS, SCAN_SUFFIXES, ImportFormat, dialog_patterns, format_list

Reader = Callable[[Path, Path, Limits], ScanInfo]

READERS: dict[str, Reader] = {name: f.inspector for name, f in IMPORT_FORMATS.items()}

__all__ = [
    "DEFAULT_LIMITS",
    "IMPORT_FORMATS",
    "READERS",
    "SCAN_SUFFIXES",
    "SIDE_FILE_SUFFIXES",
    "ImportFormat",
    "Limits",
    "ScanInfo",
    "dialog_patterns",
    "format_list",
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
        # A library's message may go on with pages of debug output (libE57's file and line dump):
        # its first line says what is wrong; the rest stays on the exception chain.
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CorruptFile(f"{path.name}: cannot be read as {fmt.upper()} ({type(exc).__name__}: {said}).") from exc
    info.details.setdefault("bytes", path.stat().st_size)
    return info
