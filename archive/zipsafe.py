"""Unpacking a .zip for import without zip-slip, symlinks or zip bombs."""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import CorruptFile, LimitExceeded, UnsafeReference
from .safepaths import check_relative, resolve_inside


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 20_000
    max_total_bytes: int = 16 * 1024**3
    max_ratio: float = 200.0  # uncompressed / compressed, for entries over 1 MiB


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path of a zip entry (see :mod:`archive.safepaths`), or UnsafeReference.
    Backslashes count as separators: zip tools on Windows write them."""
    is_dir = name.endswith(("/", "\\")) and len(name) > 1
    return check_relative(name[:-1] if is_dir else name, "the zip entry", backslashes=True)


def extract(zip_path: Path, target: Path, limits: ZipLimits = ZipLimits()) -> None:
    """Extract ``zip_path`` into the empty folder ``target``, checking every entry first and
    counting real bytes while writing (declared sizes can lie)."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFile(f"{zip_path.name} is not a readable zip file ({exc})") from exc
    with archive:
        members = _checked_members(archive, limits)
        budget = limits.max_total_bytes
        for info, rel in members:
            dest = resolve_inside(target, rel, "the zip entry")
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(dest, "xb") as out:
                    while chunk := src.read(1024 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise LimitExceeded(f"{zip_path.name} unpacks to more than {limits.max_total_bytes} bytes")
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
                raise CorruptFile(f"{zip_path.name}: entry {info.filename!r} cannot be read ({exc})") from exc


def _checked_members(archive: zipfile.ZipFile, limits: ZipLimits) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise LimitExceeded(f"the zip holds {len(infos)} entries (more than {limits.max_entries})")
    total = 0
    members = []
    seen: set[str] = set()
    for info in infos:
        rel = safe_member_path(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeReference(f"the zip holds a symbolic link ({info.filename!r}); nothing was imported")
        if info.is_dir() or not rel.parts:
            continue
        key = str(rel).casefold()
        if key in seen:
            raise CorruptFile(f"the zip holds {info.filename!r} twice")
        seen.add(key)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise LimitExceeded(f"the zip unpacks to more than {limits.max_total_bytes} bytes")
        if info.file_size > 1024**2 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise LimitExceeded(f"{info.filename!r} in the zip expands {ratio}× (a zip bomb?)")
        members.append((info, rel))
    return members
