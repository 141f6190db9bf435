"""Fuzz smoke: mutated valid scans give a result or a typed error, never anything else.

Bounded for CI (HERITAGE_FUZZ_EXAMPLES per seed file, default 60). A failing input is
written to tests/archive/fuzz_regressions/ — commit it, and test_regressions keeps it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import ArchiveError
from archive.formats import inspect_scan

from ..conftest import CORPUS
from .helpers import write_box_ply, write_point_cloud, write_textured_obj

REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
EXAMPLES = int(os.environ.get("HERITAGE_FUZZ_EXAMPLES", "60"))
CORPUS_SEEDS = [
    "trimesh/points_bin.ply", "trimesh/points_ascii.ply", "assimp/PLY/cube_uv.ply", "trimesh/teapot.stl",
    "assimp/STL/Spider_ascii.stl", "assimp/OFF/Cube.off", "tinyobjloader/cube.obj",
    "gltf-sample-assets/BoxTextured/glTF-Binary/BoxTextured.glb",
    "gltf-sample-assets/TriangleWithoutIndices/glTF-Embedded/TriangleWithoutIndices.gltf",
    "pcl/bunny.pcd", "pcl/colored_cloud.pcd", "trimesh/points_agisoft.xyz",
]


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """Flip, overwrite, insert, delete or truncate; numbers in headers are favourite targets."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "byte", "insert", "delete", "truncate", "digit"]))
        if not buf:
            break
        at = draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            buf[at] = draw(st.sampled_from([0, 0xFF, 0x7F, ord("9"), ord("-"), ord("\n")]))
        elif kind == "insert":
            buf[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del buf[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del buf[at:]
        else:
            digits = [i for i, b in enumerate(buf[:4096]) if 48 <= b <= 57]
            if digits:
                i = draw(st.sampled_from(digits))
                buf[i:i + 1] = draw(st.sampled_from([b"9999999999", b"0", b"-1", b"4294967295"]))
    return bytes(buf)


def seed_files(tmp: Path) -> list[Path]:
    seeds = [write_box_ply(tmp / "g"), write_point_cloud(tmp / "g", n=50), write_textured_obj(tmp / "g")]
    if CORPUS.is_dir():
        seeds += [CORPUS / rel for rel in CORPUS_SEEDS if (CORPUS / rel).exists()]
    return seeds


def check(data: bytes, name: str, folder: Path) -> None:
    target = folder / name
    target.write_bytes(data)
    try:
        inspect_scan(target, folder)
    except ArchiveError:
        pass
    except Exception:
        REGRESSIONS.mkdir(exist_ok=True)
        keep = REGRESSIONS / f"{hashlib.sha256(data).hexdigest()[:16]}-{name}"
        keep.write_bytes(data)
        raise


@pytest.mark.parametrize("index", range(15))
def test_mutated_scans_fail_typed(tmp_path_factory, index):
    tmp = tmp_path_factory.mktemp("fuzz")
    seeds = seed_files(tmp)
    if index >= len(seeds):
        pytest.skip("fewer seed files here (no corpus)")
    seed = seeds[index]
    work = tmp / "work"
    work.mkdir()
    for side in seed.parent.iterdir():  # keep MTL/texture/bin siblings resolvable
        if side.is_file() and side != seed and side.stat().st_size < 5_000_000:
            shutil.copy(side, work / side.name)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutations(seed.read_bytes()))
    def run(data: bytes) -> None:
        check(data, seed.name, work)

    run()


@pytest.mark.parametrize("path", sorted(p for p in REGRESSIONS.glob("*-*") if p.is_file()) or [None])
def test_regressions(path, tmp_path):
    if path is None:
        pytest.skip("no fuzz regressions recorded yet")
    check(path.read_bytes(), path.name.split("-", 1)[1], tmp_path)
