"""LZF decompression (the codec of PCD ``binary_compressed``), in plain Python.

LZF is a byte-oriented LZ77 variant: a control byte below 32 starts a literal run,
anything else is a back reference at most :data:`WINDOW` bytes back. Every length is
checked against both buffers. :func:`decompress` holds the whole output;
:func:`decompress_stream` hands it over a piece at a time and holds only the window, so a
cloud of any size is decoded in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable

from archive.errors import CorruptFile

#: the farthest a back reference reaches: 13 bits of offset, plus one
WINDOW = 8192
#: the longest one instruction reads (a control byte and 32 literals) or writes (7 + 255 + 2)
_LONGEST_IN, _LONGEST_OUT = 33, 264


def decompress(src: bytes, out_len: int) -> bytes:
    """Decompress ``src`` into exactly ``out_len`` bytes.

    Raises
    ------
    CorruptFile
        Runs or references outside the buffers, or a size other than ``out_len``.
    """
    out = bytearray(out_len)
    _, op = _decode(src, 0, len(src), out, 0, out_len + 1)  # runs to the end of src: extra data is damage
    if op != out_len:
        raise CorruptFile(f"compressed point data gives {op:,} bytes, {out_len:,} declared.")
    return bytes(out)


def decompress_stream(read: Callable[[int], bytes], packed: int, out_len: int,
                      write: Callable[[memoryview], object], piece: int = 1 << 24) -> None:
    """Decompress ``packed`` bytes taken from ``read(size)`` into exactly ``out_len`` bytes
    given to ``write`` in pieces of about ``piece`` bytes; memory is two pieces.

    Raises
    ------
    CorruptFile
        As :func:`decompress`, or input shorter than ``packed``.
    """
    out = bytearray(WINDOW + piece + _LONGEST_OUT)
    src, left, flushed, op = b"", packed, 0, 0
    while True:
        more = read(min(piece, left)) if left else b""
        if left and not more:
            raise CorruptFile("compressed point data is truncated.")
        left -= len(more)
        src += more
        end = len(src) if not left else len(src) - _LONGEST_IN  # keep a whole instruction for the next read
        ip = 0
        while ip < end:
            ip, op = _decode(src, ip, end, out, op, WINDOW + piece, len(src))
            if flushed + op > out_len:
                raise CorruptFile("compressed point data is damaged (more bytes than declared).")
            if op >= WINDOW + piece:  # hand over all but the window that later references may reach
                write(memoryview(out)[: op - WINDOW])
                flushed += op - WINDOW
                out[:WINDOW] = out[op - WINDOW: op]
                op = WINDOW
        src = src[ip:]
        if not left:
            break
    write(memoryview(out)[:op])
    if flushed + op != out_len:
        raise CorruptFile(f"compressed point data gives {flushed + op:,} bytes, {out_len:,} declared.")


def _decode(src: bytes, ip: int, end: int, out: bytearray, op: int, stop: int,
            n: int | None = None) -> tuple[int, int]:
    """Decode instructions starting before ``end`` into ``out`` until ``op`` reaches
    ``stop``; reads never pass ``n`` (``len(src)``). Returns (ip, op)."""
    n = len(src) if n is None else n
    cap = len(out)
    while ip < end and op < stop:
        ctrl = src[ip]
        ip += 1
        if ctrl < 32:
            length = ctrl + 1
            if op + length > cap or ip + length > n:
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
        if ref < 0 or op + length > cap:
            raise CorruptFile("compressed point data is damaged (bad back reference).")
        if op - ref >= length:  # inline: a call per reference costs a quarter of the time
            out[op : op + length] = out[ref : ref + length]
            op += length
        else:
            op = _copy_back(out, ref, op, length)
    return ip, op


def _copy_back(out: bytearray, ref: int, op: int, length: int) -> int:
    span = op - ref
    if span >= length:
        out[op : op + length] = out[ref : ref + length]
    else:  # overlapping reference: the last ``span`` bytes repeat
        pattern = bytes(out[ref:op])
        out[op : op + length] = (pattern * (length // span + 1))[:length]
    return op + length
