"""LZF decompression (the codec of PCD ``binary_compressed``), in plain Python.

LZF is a byte-oriented LZ77 variant: a control byte below 32 starts a literal run,
anything else is a back reference. Every length is checked against both buffers.
"""

from __future__ import annotations

from archive.errors import CorruptFile


def decompress(src: bytes, out_len: int) -> bytes:
    """Decompress ``src`` into exactly ``out_len`` bytes.

    Raises
    ------
    CorruptFile
        Runs or references outside the buffers, or a size other than ``out_len``.
    """
    out = bytearray(out_len)
    ip, op, n = 0, 0, len(src)
    while ip < n:
        ctrl = src[ip]
        ip += 1
        if ctrl < 32:
            length = ctrl + 1
            if op + length > out_len or ip + length > n:
                raise CorruptFile("compressed point data is damaged (literal run past the end).")
            out[op : op + length] = src[ip : ip + length]
            op += length
            ip += length
            continue
        length = ctrl >> 5
        ref = op - ((ctrl & 0x1F) << 8) - 1
        if length == 7:
            if ip >= n:
                raise CorruptFile("compressed point data is truncated.")
            length += src[ip]
            ip += 1
        if ip >= n:
            raise CorruptFile("compressed point data is truncated.")
        ref -= src[ip]
        ip += 1
        length += 2
        if ref < 0 or op + length > out_len:
            raise CorruptFile("compressed point data is damaged (bad back reference).")
        op = _copy_back(out, ref, op, length)
    if op != out_len:
        raise CorruptFile(f"compressed point data gives {op:,} bytes, {out_len:,} declared.")
    return bytes(out)


def _copy_back(out: bytearray, ref: int, op: int, length: int) -> int:
    span = op - ref
    if span >= length:
        out[op : op + length] = out[ref : ref + length]
    else:  # overlapping reference: the last ``span`` bytes repeat
        pattern = bytes(out[ref:op])
        out[op : op + length] = (pattern * (length // span + 1))[:length]
    return op + length
