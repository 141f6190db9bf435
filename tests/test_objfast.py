"""glbtools.objfast.split_pairs: one vertex per distinct (position, texture coordinate) pair."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glbtools import objfast
from glbtools.objfast import read_textured_obj, split_pairs


@pytest.mark.parametrize("positions, seams", [(1, 0.5), (50, 0.1), (5000, 0.02), (5000, 0.0)])
def test_each_distinct_pair_is_one_vertex(positions: int, seams: float) -> None:
    rng = np.random.default_rng(positions)
    position = rng.integers(0, positions, 20_000)
    coord = np.where(rng.random(20_000) < seams, rng.integers(0, positions + 7, 20_000), position)
    pos, co, vertex = split_pairs(position, coord, positions + 3)  # some positions on no corner
    np.testing.assert_array_equal(pos[vertex], position)
    np.testing.assert_array_equal(co[vertex], coord)
    distinct = {(int(a), int(b)) for a, b in zip(position, coord, strict=True)}
    assert len(pos) == len(distinct) == len(set(zip(pos.tolist(), co.tolist(), strict=True)))


def _obj(path: Path, rows: int) -> Path:
    lines = ["mtllib m.mtl", "usemtl a"] + [f"v {k} {k % 7} {k % 3}" for k in range(rows)]
    lines += [f"vt {k / rows:.6f} 0.5" for k in range(rows)]
    lines += [f"f {k + 1}/{k + 1} {k + 2}/{k + 2} {k + 3}/{k + 1}" for k in range(rows - 2)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_chunks_parsed_in_workers_give_the_same_arrays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    obj = _obj(tmp_path / "m.obj", 3000)
    alone = read_textured_obj(obj, workers=1)
    monkeypatch.setattr(objfast, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(objfast, "CHUNK_BYTES", 4096)  # about 30 chunks
    pooled = read_textured_obj(obj, workers=2)
    assert alone is not None and pooled is not None
    for name in ("vertices", "uv", "faces", "origin"):
        np.testing.assert_array_equal(getattr(pooled, name), getattr(alone, name))
    assert (pooled.mtllib, pooled.material) == (alone.mtllib, alone.material) == ("m.mtl", "a")


def test_a_chunk_a_worker_declines_declines_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    obj = _obj(tmp_path / "m.obj", 3000)
    text = obj.read_text().splitlines()
    text.insert(len(text) // 2, "f 1/1 2/2 3/3 4/4")  # a polygon half-way: the full reader's work
    obj.write_text("\n".join(text) + "\n")
    monkeypatch.setattr(objfast, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(objfast, "CHUNK_BYTES", 4096)
    assert read_textured_obj(obj, workers=2) is None


def test_without_worker_processes_the_file_is_parsed_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    obj = _obj(tmp_path / "m.obj", 3000)
    monkeypatch.setattr(objfast, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(objfast, "_parse_chunk", _exit_worker)  # a worker that dies, as one whose start fails
    parsed = read_textured_obj(obj, workers=2)
    assert parsed is not None and len(parsed.faces) == 2998


def _exit_worker(chunk: bytes) -> None:
    import os

    os._exit(3)
