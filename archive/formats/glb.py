"""GLB container: header and chunk table, checked against the real file size."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from archive.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from archive.formats import _common as C
from archive.formats.base import Limits

_JSON, _BIN = 0x4E4F534A, 0x004E4942


def read_glb(path: Path, limits: Limits, warnings: list[str]) -> tuple[bytes, tuple[int, int] | None]:
    """JSON chunk bytes and the BIN chunk's (file offset, length); the BIN chunk is not read.

    Raises
    ------
    CorruptFile
        Truncated header, chunk lengths past the end, first chunk not JSON.
    LimitExceeded
        JSON chunk larger than ``limits.max_json_bytes``.
    """
    size = C.file_size(path)
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12:
            raise CorruptFile(f"{path.name}: GLB header is truncated ({len(head)} bytes).")
        magic, version, length = struct.unpack("<4sII", head)
        if magic != b"glTF":
            raise CorruptFile(f"{path.name}: not a GLB file (bad magic).")
        if version != 2:
            raise UnsupportedFormat(f"{path.name}: GLB version {version}; only glTF 2.0 is supported.")
        if length > size:
            raise CorruptFile(f"{path.name}: GLB declares {length:,} bytes but the file has {size:,}; truncated.")
        if length < size:
            warnings.append(f"{size - length:,} bytes after the end declared in the GLB header")
        return _chunks(fh, path.name, length, limits, warnings)


def _chunks(
    fh: BinaryIO, name: str, length: int, limits: Limits, warnings: list[str]
) -> tuple[bytes, tuple[int, int] | None]:
    pos, json_bytes, bin_chunk = 12, None, None
    while pos < length:
        if pos + 8 > length:
            raise CorruptFile(f"{name}: GLB chunk header is truncated.")
        fh.seek(pos)
        clen, ctype = struct.unpack("<II", fh.read(8))
        if pos + 8 + clen > length:
            raise CorruptFile(f"{name}: a GLB chunk declares {clen:,} bytes, past the end of the file.")
        if json_bytes is None:
            if ctype != _JSON:
                raise CorruptFile(f"{name}: the first GLB chunk is not JSON.")
            if clen > limits.max_json_bytes:
                raise LimitExceeded(f"{name}: GLB JSON chunk of {clen:,} bytes exceeds {limits.max_json_bytes:,}.")
            json_bytes = fh.read(clen)
        elif ctype == _BIN and bin_chunk is None:
            bin_chunk = (pos + 8, clen)
        else:
            warnings.append(f"unexpected GLB chunk of type 0x{ctype:08x} ignored")
        pos += 8 + clen
    if json_bytes is None:
        raise CorruptFile(f"{name}: GLB has no JSON chunk.")
    return json_bytes, bin_chunk
