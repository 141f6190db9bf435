"""Text clouds (XYZ, PTS) and PLY clouds laid out otherwise (ASCII, big-endian) read a block
at a time through :func:`archive.publish.cloudstream.open_cloud_source`: the same points and
colours as the whole-file reader the importer had before (kept below as the reference), every
odd layout of the lines, the errors naming their line, and levels, 3D Tiles and the pick index
made from them without reading the master whole."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from archive.errors import CorruptFile
from archive.formats.base import DEFAULT_LIMITS
from archive.formats.pointclouds import inspect_pts, inspect_xyz, read_text_points
from archive.publish.cloudstream import master_frame, master_source, open_cloud_source
from archive.publish.cloudtext import PlyTextSource, TextSource

SHA = "ab" * 32


# --- the whole-file reader of before (the reference) ------------------------------------

def _reference(path: Path, fmt: str) -> tuple[np.ndarray, np.ndarray | None]:
    """What ``read_text_points`` returned before it read in blocks (commit 274a292), then
    the export's rule (non-finite rows dropped; colours rounded to 8 bits)."""
    data = re.sub(rb"(#|//)[^\n]*", b"", path.read_bytes()).replace(b",", b" ").replace(b";", b" ")
    buf = np.frombuffer(data, np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts, ends = np.concatenate(([0], nl + 1)), np.concatenate((nl, [buf.shape[0]]))
    if starts[-1] >= buf.shape[0]:
        starts, ends = starts[:-1], ends[:-1]
    ws = buf <= 32
    pos = np.flatnonzero(ws[:-1] & ~ws[1:]) + 1
    if not ws[0]:
        pos = np.concatenate(([0], pos))
    tokens = np.searchsorted(pos, ends) - np.searchsorted(pos, starts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:  # numpy 2.4 raises where older ones stopped (the reader let the ValueError through)
            nums = np.fromstring(data, dtype=np.float64, sep=" ")  # type: ignore[call-overload]
        except ValueError:
            raise CorruptFile("not a number") from None
    if nums.shape[0] != int(tokens.sum()):
        raise CorruptFile("not a number")
    first = np.cumsum(tokens) - tokens
    rows = tokens >= 3
    if ((tokens > 0) & ~rows & (tokens != 1 if fmt == "pts" else True)).any():
        raise CorruptFile("fewer than 3")
    first, tokens = first[rows], tokens[rows]
    xyz = nums[first[:, None] + np.arange(3)]
    ncol = int(tokens.min()) if tokens.size else 0
    rgb = None
    if ncol >= 6 and (tokens == ncol).all():
        sample = first[:10000][:, None] + np.arange(ncol - 3, ncol)
        vals = nums[sample[sample.max(axis=1) < nums.shape[0]]]
        if vals.size and (vals >= 0).all() and (vals <= 255).all() and (vals == np.round(vals)).all():
            rgb = nums[first[:, None] + np.arange(ncol - 3, ncol)]
    ok = np.isfinite(xyz).all(axis=1)
    rgba = None if rgb is None else np.column_stack([np.clip(rgb[ok], 0, 255).round(), np.full(ok.sum(), 255)])
    return xyz[ok], None if rgba is None else rgba.astype(np.uint8)


def _streamed(path: Path, block: int) -> tuple[np.ndarray, np.ndarray | None]:
    source = open_cloud_source(path, master_frame())
    assert isinstance(source, TextSource)
    source.block = block
    chunks = list(source.chunks())
    assert len(chunks) > 1 or block > path.stat().st_size  # several blocks when asked
    points = np.concatenate([p for p, _ in chunks])
    colours = [c for _, c in chunks]
    return points, None if colours[0] is None else np.concatenate(colours)


# --- files --------------------------------------------------------------------------------

def _points(n: int = 3000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.round(rng.random((n, 3)) * 20 - 5, 4), rng.integers(-2048, 2048, n), rng.integers(0, 256, (n, 3))


def _pts_lines(n: int = 3000) -> list[str]:
    xyz, intensity, rgb = _points(n)
    return [f"{a} {b} {c} {i} {r} {g} {bl}" for (a, b, c), i, (r, g, bl) in zip(xyz, intensity, rgb, strict=True)]


def _write(tmp_path: Path, name: str, lines: list[str], newline: str = "\n", last_newline: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + (newline if last_newline else "")).encode())
    return path


CASES = {
    "pts with a count line, intensity and colours": ("c.pts", lambda: ["3000", *_pts_lines()], {}),
    "pts without a count line, CRLF, no last newline": ("c.pts", lambda: _pts_lines(), {"newline": "\r\n",
                                                                                         "last_newline": False}),
    "pts of two scans, comments and blank lines": (
        "c.pts", lambda: ["# scanner A", "1500", *_pts_lines()[:1500], "", "  ", "// scan B", "1500",
                          *[f"{line} # a note" for line in _pts_lines()[1500:]]], {}),
    "xyz of coordinates only": ("c.xyz", lambda: [line.rsplit(" ", 4)[0] for line in _pts_lines()], {}),
    "xyz with commas and semicolons": ("c.xyz", lambda: [line.replace(" ", ",", 1).replace(" ", ";", 1)
                                                         for line in _pts_lines()], {}),
    "xyz with normals (not colours)": ("c.xyz", lambda: [f"{line.rsplit(' ', 4)[0]} 0.5 -0.5 0.7071"
                                                         for line in _pts_lines()], {}),
    "xyz whose colour columns differ on one line": (
        "c.xyz", lambda: [*_pts_lines()[:2000], "1 2 3 4 5 6", *_pts_lines()[2000:]], {}),
    "pts with NaN and inf rows": ("c.pts", lambda: ["3002", "nan 1 2 0 1 2 3", *_pts_lines(), "1 inf 2 0 1 2 3"], {}),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("block", [100, 4096, 1 << 30])
def test_a_text_cloud_streamed_gives_the_whole_readers_points_and_colours(tmp_path: Path, case: str,
                                                                         block: int) -> None:
    name, lines, layout = CASES[case]
    path = _write(tmp_path, name, lines(), **layout)
    want_points, want_colours = _reference(path, path.suffix[1:])
    points, colours = _streamed(path, block)
    assert np.array_equal(points, want_points)
    assert (colours is None) == (want_colours is None)
    if want_colours is not None:
        assert np.array_equal(colours, want_colours)
    whole, rgb = read_text_points(path, path.suffix[1:], DEFAULT_LIMITS)  # the export's whole reader: same rows
    ok = np.isfinite(whole).all(axis=1)
    assert np.array_equal(whole[ok], want_points)
    assert (rgb is None) == (want_colours is None)


def test_the_colour_rule_sees_every_line_not_only_the_first_block(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.pts", [*_pts_lines(), "1 2 3 4"])  # the last line lacks colours
    points, colours = _streamed(path, 256)
    assert colours is None and len(points) == 3001


@pytest.mark.parametrize("block", [64, 1 << 20])
@pytest.mark.parametrize("bad", ["1.0 2.0 abc 4 5 6 7", "1.0 2.0 3.0 4 5 6 7x", "1,,2"])
def test_a_malformed_line_is_refused_naming_its_line(tmp_path: Path, block: int, bad: str) -> None:
    lines = ["3001", *_pts_lines()]
    lines.insert(2345, bad)  # line 2346 of the file
    path = _write(tmp_path, "c.pts", lines)
    with pytest.raises(CorruptFile, match=r"c\.pts: line 2,346 "):
        _streamed(path, block)
    with pytest.raises(CorruptFile, match=r"line 2,346 "):
        read_text_points(path, "pts", DEFAULT_LIMITS)
    with pytest.raises(CorruptFile, match=r"line 2,346 "):
        inspect_pts(path, tmp_path, DEFAULT_LIMITS)


def test_a_single_number_is_a_count_in_pts_but_refused_in_xyz(tmp_path: Path) -> None:
    lines = [line.rsplit(" ", 4)[0] for line in _pts_lines()]
    path = _write(tmp_path, "c.xyz", ["3000", *lines])
    with pytest.raises(CorruptFile, match="line 1 has fewer than 3 coordinates"):
        _streamed(path, 4096)
    pts = _write(tmp_path, "c.pts", ["3000", *lines])
    assert len(_streamed(pts, 4096)[0]) == 3000


@pytest.mark.parametrize("cut", [-3, -9, -17])
def test_a_truncated_file_reads_as_the_whole_reader_reads_it(tmp_path: Path, cut: int) -> None:
    full = _write(tmp_path, "c.pts", ["3000", *_pts_lines()])
    path = tmp_path / "cut.pts"
    path.write_bytes(full.read_bytes()[:cut])  # cut inside the last line
    try:
        want = _reference(path, "pts")
    except CorruptFile:
        with pytest.raises(CorruptFile, match="line 3,001"):
            _streamed(path, 4096)
        return
    points, colours = _streamed(path, 4096)
    assert np.array_equal(points, want[0])
    assert (colours is None) == (want[1] is None)


def test_import_measures_a_text_cloud_a_block_at_a_time_with_the_same_figures(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.formats.textcloud as textcloud

    path = _write(tmp_path, "c.pts", ["3002", "nan 1 2 0 1 2 3", *_pts_lines(), "7"])
    whole = inspect_pts(path, tmp_path, DEFAULT_LIMITS)
    monkeypatch.setattr(textcloud, "BLOCK", 512)
    monkeypatch.setattr(textcloud.measure_text_cloud, "__defaults__", (None, 512))
    blocks = inspect_pts(path, tmp_path, DEFAULT_LIMITS)
    xyz = _reference(path, "pts")[0]
    for info in (whole, blocks):
        assert info.points == 3001
        assert info.bbox_min == tuple(xyz.min(axis=0)) and info.bbox_max == tuple(xyz.max(axis=0))
        assert info.details["columns"] == 7 and info.vertex_colors
        assert info.warnings == ["1 point(s) have NaN or infinite coordinates; ignored in the bounds",
                                 "PTS declares 3,009 points but holds 3,001"]
    plain = _write(tmp_path, "n.xyz", [f"{line.rsplit(' ', 4)[0]} 0.5 -0.5 0.7071" for line in _pts_lines()])
    info = inspect_xyz(plain, tmp_path, DEFAULT_LIMITS)
    assert info.details["columns"] == 6 and not info.vertex_colors and info.warnings == []


def test_import_refuses_too_many_points_while_reading(tmp_path: Path) -> None:
    from dataclasses import replace

    from archive.errors import LimitExceeded

    path = _write(tmp_path, "c.pts", _pts_lines())
    with pytest.raises(LimitExceeded, match="points"):
        inspect_pts(path, tmp_path, replace(DEFAULT_LIMITS, max_vertices=2999))


def test_the_count_is_guessed_before_the_first_pass_and_exact_after(tmp_path: Path) -> None:
    lines = _pts_lines(3000) * 200  # 600,000 points, ~25 MB: the guess reads only the first MB
    path = _write(tmp_path, "big.xyz", lines)
    source = open_cloud_source(path, master_frame())
    assert source is not None
    assert abs(source.count - 600_000) < 600_000 * 0.02
    source.bounds()
    assert source.count == 600_000


# --- PLY laid out otherwise -------------------------------------------------------------------

def _ply(tmp_path: Path, encoding: str, n: int = 2000, extra: str = "") -> tuple[Path, np.ndarray, np.ndarray]:
    xyz, _, rgb = _points(n, seed=9)
    xyz = xyz.astype(np.float32)
    head = (f"ply\nformat {encoding} 1.0\ncomment made by a test\nelement vertex {n}\n"
            "property float x\nproperty float y\nproperty float z\n"
            "property uchar red\nproperty uchar green\nproperty uchar blue\n" + extra + "end_header\n")
    path = tmp_path / f"{encoding}.ply"
    if encoding == "ascii":
        body = "".join(f"{a!r} {b!r} {c!r} {r} {g} {bl}\n" for (a, b, c), (r, g, bl) in
                       zip(xyz.tolist(), rgb.tolist(), strict=True))
        path.write_bytes(head.encode() + body.encode())
    else:
        order = ">" if encoding == "binary_big_endian" else "<"
        rows = np.zeros(n, dtype=[("x", order + "f4"), ("y", order + "f4"), ("z", order + "f4"),
                                  ("red", "u1"), ("green", "u1"), ("blue", "u1")])
        rows["x"], rows["y"], rows["z"] = xyz.T
        rows["red"], rows["green"], rows["blue"] = rgb.T
        path.write_bytes(head.encode() + rows.tobytes())
    return path, xyz.astype(np.float64), rgb


@pytest.mark.parametrize("encoding", ["ascii", "binary_big_endian", "binary_little_endian"])
def test_a_ply_cloud_in_any_encoding_streams_with_the_whole_readers_points(tmp_path: Path, encoding: str) -> None:
    from archive.publish.geometry import load_model

    path, xyz, rgb = _ply(tmp_path, encoding)
    source = open_cloud_source(path, master_frame())
    assert source is not None and source.count == 2000 and source.coloured
    if isinstance(source, PlyTextSource):
        source.block = 300
    chunks = list(source.chunks())
    points = np.concatenate([p for p, _ in chunks])
    colours = np.concatenate([c for _, c in chunks])
    assert np.array_equal(points, xyz) and np.array_equal(colours[:, :3], rgb)
    part = load_model(path, "m", "y").parts[0]  # the export's whole reader
    assert np.allclose(part.vertices, points) and np.array_equal(part.colors, colours)
    lo, hi = source.bounds()
    assert np.array_equal(lo, xyz.min(axis=0)) and np.array_equal(hi, xyz.max(axis=0))


def test_an_ascii_ply_that_is_cut_short_or_damaged_names_the_problem(tmp_path: Path) -> None:
    path, _, _ = _ply(tmp_path, "ascii")
    data = path.read_bytes()
    cut = tmp_path / "cut.ply"
    cut.write_bytes(data[:data.rfind(b"\n", 0, len(data) - 1) + 1])  # the last vertex line gone
    with pytest.raises(CorruptFile, match="declares 2,000 vertices but holds only 1,999"):
        list(open_cloud_source(cut, master_frame()).chunks())  # type: ignore[union-attr]
    lines = data.split(b"\n")
    at = lines.index(b"end_header") + 100
    lines[at] = b"1 2 3 4"
    bad = tmp_path / "bad.ply"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(CorruptFile, match="line 100 of the data"):
        list(open_cloud_source(bad, master_frame()).chunks())  # type: ignore[union-attr]


def test_a_ply_mesh_or_a_vertex_list_is_not_streamed_as_a_cloud(tmp_path: Path) -> None:
    mesh, _, _ = _ply(tmp_path, "ascii", extra="element face 0\nproperty list uchar int vertex_indices\n")
    assert open_cloud_source(mesh, master_frame()) is not None  # no face in it: still a cloud
    text = mesh.read_bytes().replace(b"element face 0", b"element face 1") + b"3 0 1 2\n"
    mesh.write_bytes(text)
    assert open_cloud_source(mesh, master_frame()) is None


# --- levels, tiles and pick index through the one door ----------------------------------------

@pytest.fixture()
def big_pts(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    xyz = rng.random((60_000, 3)) * [40, 30, 5] + [512_000.0, 4_100_000.0, 10.0]  # georeferenced metres
    rgb = rng.integers(0, 256, (60_000, 3))
    body = "\n".join(f"{a:.3f} {b:.3f} {c:.3f} 0 {r} {g} {bl}" for (a, b, c), (r, g, bl) in zip(xyz, rgb, strict=True))
    path = tmp_path / "scan.pts"
    path.write_text("60000\n" + body + "\n")
    return path


def _no_whole_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.levels
    import archive.publish.geometry

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the master was read whole")

    monkeypatch.setattr(archive.levels, "read_master", refuse)
    monkeypatch.setattr(archive.publish.geometry, "load_model", refuse)


def test_levels_and_pick_index_of_a_pts_are_made_without_reading_it_whole(tmp_path: Path, big_pts: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.levels import build_levels
    from viewer.pickindex import PickIndex

    _no_whole_read(monkeypatch)
    levels = build_levels(big_pts, SHA, tmp_path / "lv", targets=(10_000, 2_000))
    assert [lv.points for lv in levels] and all(lv.points <= t for lv, t in zip(levels, (10_000, 2_000), strict=True))
    index = PickIndex(tmp_path / "lv" / f"{SHA}.pick.json")
    assert index.kind == "points" and index.count == 60_000
    stored = np.sort(np.asarray(index.vertices, dtype=np.float64)[:, 0] + index.origin[0])
    want = np.sort(np.loadtxt(big_pts, skiprows=1, usecols=0))
    assert np.abs(stored - want).max() < 2e-3  # float32 relative to an origin near the centre: millimetres
    assert not list((tmp_path / "lv").glob("*spill*"))  # the scratch file is gone


def test_3d_tiles_of_a_pts_are_written_from_its_chunks(tmp_path: Path, big_pts: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.publish.modelframe import model_frame
    from archive.publish.tiles3d import write_tileset

    _no_whole_read(monkeypatch)
    source = master_source(big_pts, model_frame("pts", "m", "z"))
    assert isinstance(source, TextSource)
    report = write_tileset(source, tmp_path / "tiles", {}, bucket_max=20_000)
    assert report.points == 60_000 and report.coloured


def test_the_colour_rule_looks_at_the_first_ten_thousand_rows_as_before(tmp_path: Path) -> None:
    rows = [f"{i} {i % 7} 1.5 {i % 256} 3 4" for i in range(10_000)]
    rows += [f"{i} 2 1.5 0.5 300 4" for i in range(2_000)]  # not colours, but past the rows sampled
    path = _write(tmp_path, "c.xyz", rows)
    want = _reference(path, "xyz")
    points, colours = _streamed(path, 4096)
    assert want[1] is not None and colours is not None
    assert np.array_equal(colours, want[1]) and np.array_equal(points, want[0])
    assert inspect_xyz(path, tmp_path, DEFAULT_LIMITS).vertex_colors


def test_an_archived_pts_gets_levels_and_a_pick_index_in_the_isolated_worker(tmp_path: Path, big_pts: Path) -> None:
    from archive import Archive
    from archive.levels import build_archive_levels
    from archive.levels_limits import _streamed_points

    archive = Archive.create(tmp_path / "arc")
    assert not archive.import_paths([big_pts]).errors
    item_id = archive.search_ids()[0]
    assert _streamed_points(big_pts, (10_000, 2_000)) is not None  # the worker's limit follows the level, not the file
    report = build_archive_levels(archive, None, None, None, (10_000, 2_000))
    assert report.built == [item_id] and not report.failed
    assert [lv.points for lv in archive.levels(item_id)] and archive.pick_index(item_id) is not None
    from viewer.pickindex import PickIndex

    assert PickIndex(archive.pick_index(item_id)).count == 60_000  # type: ignore[arg-type]
