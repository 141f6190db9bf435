"""Point clouds in PCD (ascii, binary, binary_compressed), XYZ and PTS text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import _common as C
from archive.formats import lzf
from archive.formats.base import Limits, ScanInfo
from archive.formats.refs import rel_posix
from archive.formats.textcloud import measure_text_cloud, text_blocks
from glbtools import lines as L
from glbtools.textcloud import SAMPLE_ROWS, joined_rows, looks_like_rgb

_PCD_TYPES = {("F", 4): "f4", ("F", 8): "f8", ("I", 1): "i1", ("I", 2): "i2", ("I", 4): "i4",
              ("I", 8): "i8", ("U", 1): "u1", ("U", 2): "u2", ("U", 4): "u4", ("U", 8): "u8"}  # fmt: skip
_MAX_LZF = 512 * 1024**2
_MAX_TEXT = 4 * 1024**3


def _points_info(fmt: str, path: Path, root: Path) -> ScanInfo:
    return ScanInfo(format=fmt, geometry="points", files=[rel_posix(path, root)])


def inspect_pcd(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect a PCL ``.pcd`` file; see :func:`archive.formats.inspect_scan`."""
    size = C.file_size(path)
    head, offset = _pcd_header(path)
    fields = head.get("FIELDS", [])
    n = int(head.get("POINTS", [0])[0]) if "POINTS" in head else _wh(head)
    C.check_count(n, limits.max_vertices, "points", path.name)
    dtype = _pcd_dtype(path.name, head)
    if not {"x", "y", "z"} <= set(fields):
        raise CorruptFile(f"{path.name}: PCD has no x y z fields.")
    info = _points_info("pcd", path, root)
    encoding = head.get("DATA", [""])[0]
    info.details.update(encoding=encoding, fields=fields, width=_wh(head, 0), height=_wh(head, 1))
    info.points = info.vertices = n
    info.vertex_colors = bool({"rgb", "rgba"} & set(fields))
    C.require_geometry(n, path.name, "points")
    if "POINTS" in head and n != _wh(head):
        info.warnings.append(f"PCD declares POINTS {n:,} but WIDTH × HEIGHT is {_wh(head):,}")
    if encoding == "ascii":
        _pcd_ascii(path, offset, n, dtype, info)
    elif encoding == "binary":
        C.check_room(n * dtype.itemsize, size - offset, "PCD points", path.name)
        C.declared_vs_real(n, (size - offset) // dtype.itemsize, "PCD points", path.name, info.warnings)
        rows = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(n,))
        info.bbox_min, info.bbox_max = C.bbox_columns([rows[k] for k in "xyz"], info.warnings)
    elif encoding == "binary_compressed":
        _pcd_compressed(path, offset, size, n, dtype, info)
    else:
        raise CorruptFile(f"{path.name}: unknown PCD DATA encoding {encoding!r}.")
    return info


def _wh(head: dict[str, list[str]], which: int = -1) -> int:
    try:
        w, h = int(head.get("WIDTH", ["0"])[0]), int(head.get("HEIGHT", ["1"])[0])
    except ValueError:
        raise CorruptFile("PCD WIDTH/HEIGHT are not numbers.") from None
    return (w, h)[which] if which >= 0 else w * h


def _pcd_header(path: Path) -> tuple[dict[str, list[str]], int]:
    with open(path, "rb") as fh:
        raw = fh.read(65536)
    head: dict[str, list[str]] = {}
    pos = 0
    for line in raw.split(b"\n"):
        pos += len(line) + 1
        words = line.decode("latin-1").split()
        if not words or words[0].startswith("#"):
            continue
        head[words[0].upper()] = words[1:]
        if words[0].upper() == "DATA":
            return head, pos
    raise CorruptFile(f"{path.name}: PCD header has no DATA line.")


def _pcd_dtype(name: str, head: dict[str, list[str]]) -> np.dtype:
    fields, sizes, types = head.get("FIELDS", []), head.get("SIZE", []), head.get("TYPE", [])
    counts = head.get("COUNT", ["1"] * len(fields))
    if not (len(fields) == len(sizes) == len(types) == len(counts)) or not fields:
        raise CorruptFile(f"{name}: PCD FIELDS/SIZE/TYPE/COUNT disagree.")
    spec = []
    for i, (f, s, t, c) in enumerate(zip(fields, sizes, types, counts, strict=False)):
        code = _PCD_TYPES.get((t.upper(), int(s) if s.isdigit() else 0))
        if code is None or not c.isdigit():
            raise CorruptFile(f"{name}: PCD field {f!r} has an unknown type {t}{s}.")
        label = f if f not in fields[:i] and f != "_" else f"_{i}"
        spec.append((label, "<" + code, (int(c),)) if int(c) > 1 else (label, "<" + code))
    return np.dtype(spec)


def _pcd_ascii(path: Path, offset: int, n: int, dtype: np.dtype, info: ScanInfo) -> None:
    """Count and bounds of an ASCII PCD's points, a block of lines at a time."""
    cols = _flat_columns(dtype)
    xyz = [cols["x"], cols["y"], cols["z"]]
    lo, hi, rows, bad = np.full(3, np.inf), np.full(3, -np.inf), 0, 0
    for table in pcd_ascii_rows(path, offset, _pcd_width(dtype)):
        points = table[: max(0, n - rows), xyz]  # the surplus past the declared count is not read
        rows += len(table)
        finite = np.isfinite(points).all(1)
        bad += int(len(points) - np.count_nonzero(finite))
        if finite.any():
            lo, hi = np.minimum(lo, points[finite].min(0)), np.maximum(hi, points[finite].max(0))
    C.declared_vs_real(n, rows, "PCD points", path.name, info.warnings)
    if bad:
        info.warnings.append(f"{bad:,} point(s) have NaN or infinite coordinates; ignored in the bounds")
    if np.isfinite(lo).all():
        info.bbox_min, info.bbox_max = C._vec(lo), C._vec(hi)


def pcd_ascii_rows(path: Path, offset: int, width: int, block: int = L.CHUNK) -> Iterator[np.ndarray]:
    """The values of an ASCII PCD from ``offset`` (after its header) as (m, ``width``)
    float64 tables, a block of about ``block`` bytes of lines at a time, every row the data
    holds (a short last row is dropped). Raises ``CorruptFile`` naming the line of a value
    that is not a number."""
    carry, lines = np.zeros(0), 0
    for text in L.line_chunks(path, block, offset=offset):
        try:
            numbers = L.parse_numbers(text)
        except ValueError:  # numpy 2.4 raises where older versions stopped short
            numbers = np.zeros(0)
        if len(numbers) != _token_count(text):
            at = next(i for i, line in enumerate(text.split(b"\n")) if not _numbers_only(line))
            raise CorruptFile(f"{path.name}: line {_line_count(path, offset) + lines + at + 1} of the PCD holds a "
                              "value that is not a number.")
        lines += text.count(b"\n")
        numbers = np.concatenate([carry, numbers]) if len(carry) else numbers
        m = len(numbers) // width
        carry = numbers[m * width:]
        yield numbers[: m * width].reshape(m, width)


def _pcd_width(dtype: np.dtype) -> int:
    """Values per point of a PCD row (a field of COUNT k gives k)."""
    return sum(int(np.prod(dtype[k].shape or (1,))) for k in dtype.names or ())


def _token_count(text: bytes) -> int:
    """Whitespace-separated tokens of ``text`` (bytes <= 0x20 separate)."""
    buf = np.frombuffer(text, np.uint8)
    if not buf.size:
        return 0
    ws = buf <= 32
    return int((~ws[1:] & ws[:-1]).sum() + (not ws[0]))


def _numbers_only(line: bytes) -> bool:
    try:
        [float(word) for word in line.split()]
    except ValueError:
        return False
    return True


def _line_count(path: Path, offset: int) -> int:
    with open(path, "rb") as fh:
        return fh.read(offset).count(b"\n")


def _flat_columns(dtype: np.dtype) -> dict[str, int]:
    cols, i = {}, 0
    for k in dtype.names or ():
        cols[k] = i
        i += int(np.prod(dtype[k].shape or (1,)))
    return cols


def _pcd_compressed(path: Path, offset: int, size: int, n: int, dtype: np.dtype, info: ScanInfo) -> None:
    with open(path, "rb") as fh:
        fh.seek(offset)
        sizes = np.frombuffer(fh.read(8), "<u4")
        if sizes.shape[0] < 2:
            raise CorruptFile(f"{path.name}: PCD compressed block is truncated.")
        packed, unpacked = int(sizes[0]), int(sizes[1])
        if unpacked != n * dtype.itemsize:
            raise CorruptFile(f"{path.name}: PCD uncompressed size disagrees with the points declared.")
        C.check_room(packed, size - offset - 8, "compressed PCD data", path.name)
        if unpacked > _MAX_LZF:
            info.warnings.append("compressed point data too large to decode for the bounds")
            return
        data = lzf.decompress(fh.read(packed), unpacked)
    pos = 0
    blocks: dict[str, np.ndarray] = {}
    for k in dtype.names or ():  # field-major layout: all x, then all y, ...
        sub = dtype[k]
        blocks[k] = np.frombuffer(data, sub.base, n * max(1, int(np.prod(sub.shape or (1,)))), pos)
        pos += n * sub.itemsize
    info.bbox_min, info.bbox_max = C.bbox_columns([blocks[k] for k in "xyz"], info.warnings)


def inspect_xyz(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect an XYZ text cloud (x y z [extra columns] per line)."""
    return _text_cloud(path, root, limits, "xyz")


def inspect_pts(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect a PTS text cloud (a count line, then x y z [intensity r g b])."""
    return _text_cloud(path, root, limits, "pts")


def _text_cloud(path: Path, root: Path, limits: Limits, fmt: str) -> ScanInfo:
    """Count, bounds and columns measured a block of lines at a time (a 1B-point PTS is
    never held whole)."""
    facts = measure_text_cloud(path, fmt, limits.max_vertices)
    info = _points_info(fmt, path, root)
    info.points = info.vertices = facts.count
    C.require_geometry(info.points, path.name, "points")
    if facts.not_finite:
        info.warnings.append(f"{facts.not_finite:,} point(s) have NaN or infinite coordinates; ignored in the bounds")
    if facts.lo is not None and facts.hi is not None:
        info.bbox_min, info.bbox_max = C.bbox(np.vstack([facts.lo, facts.hi]), [])
    ncol = facts.usual_columns
    info.details.update(encoding="ascii", columns=ncol)
    info.vertex_colors = ncol >= 6 and looks_like_rgb(facts.head, ncol)
    if facts.declared is not None and facts.declared != info.points:
        info.warnings.append(f"PTS declares {facts.declared:,} points but holds {info.points:,}")
    return info


def read_text_points(path: Path, fmt: str, limits: Limits) -> tuple[np.ndarray, np.ndarray | None]:
    """Every point of an XYZ or PTS cloud: (n, 3) float64 coordinates and (n, 3) float64
    colours 0..255 (the last three columns, when every row has them and they look like RGB)
    or None. Parsed a block of lines at a time (:mod:`.textcloud`), so only the result is
    held whole."""
    if C.file_size(path) > _MAX_TEXT:
        raise LimitExceeded(f"{path.name}: text point cloud larger than {_MAX_TEXT:,} bytes.")
    xyz, last, tokens, heads = [], [], [], []
    count = 0
    for rows in text_blocks(path, fmt):
        count += len(rows.tokens)
        C.check_count(count, limits.max_vertices, "points", path.name)
        xyz.append(rows.columns(0, 3))
        tokens.append(rows.tokens)
        if rows.tokens.size and int(rows.tokens.min()) >= 6:
            last.append(rows.last_three())
        if count - len(rows.tokens) <= SAMPLE_ROWS:
            heads.append(rows)
    if not xyz:
        return np.zeros((0, 3)), None
    every = np.concatenate(tokens)
    ncol = int(every.min()) if every.size else 0
    rgb = None
    if ncol >= 6 and (every == ncol).all() and looks_like_rgb(joined_rows(heads), ncol):
        rgb = np.concatenate(last)
    return np.concatenate(xyz), rgb
