"""Derived files written by two processes at once (two PCs building the same item's levels of
detail and pick index on a shared folder): each writes under a temporary name of its own
(platform_support.temp_beside) and renames it into place, so neither fails nor leaves a torn file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trimesh

from archive.levels import build_levels, find_levels, levels_complete, read_level
from archive.pickindex import find_pick_index
from platform_support import replacing, temp_beside

from .faults import start

SHA = "ab" * 32
ROUNDS = 6

# Builds the levels of one master in base/round<r> for each round, starting each round together
# with the other process (each waits for the other's ready file).
BUILD_TOGETHER = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from archive.levels import build_levels
master, sha, base = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
me, other, rounds = sys.argv[4], sys.argv[5], int(sys.argv[6])
for r in range(rounds):
    (base / f"ready-{{r}}-{{me}}").touch()
    waited = time.monotonic()
    while not (base / f"ready-{{r}}-{{other}}").exists():
        if time.monotonic() - waited > 60:
            sys.exit(f"the other process never reached round {{r}}")
        time.sleep(0.0005)
    build_levels(master, sha, base / f"round{{r}}", targets=(60_000, 15_000))
print("done", flush=True)
"""


def sphere(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sphere.ply"
    trimesh.creation.icosphere(subdivisions=7).export(path)  # 327,680 triangles
    return path


def test_two_processes_building_the_same_levels_at_once_both_finish_whole(tmp_path: Path):
    master, base = sphere(tmp_path / "in"), tmp_path / "derived"
    base.mkdir()
    pcs = [start(BUILD_TOGETHER, str(master), SHA, str(base), me, other, str(ROUNDS))
           for me, other in (("a", "b"), ("b", "a"))]
    outcomes = [pc.communicate(timeout=400) for pc in pcs]
    said = [err[-2000:] for _out, err in outcomes]
    assert [pc.returncode for pc in pcs] == [0, 0] and all("done" in out for out, _err in outcomes), said
    for r in range(ROUNDS):
        folder = base / f"round{r}"
        levels = find_levels(folder, SHA)
        assert levels_complete(folder, SHA) and [lv.level for lv in levels] == [1, 2]
        for level in levels:
            assert read_level(level.path).faces is not None  # whole: its header and arrays agree
        assert find_pick_index(folder, SHA) is not None
        assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == []


def test_the_temporary_name_is_beside_the_target_and_names_this_pc_and_process(tmp_path: Path):
    target = tmp_path / "thumbs" / "abc.png"
    first, second = temp_beside(target), temp_beside(target)
    assert first != second and first.parent == target.parent and first.name.startswith("abc.png.")
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c == "-")[:24]
    assert f".{host}-{os.getpid()}-" in first.name and first.suffix == ".tmp"


def test_replacing_puts_the_new_file_whole_or_leaves_the_old_one(tmp_path: Path):
    target = tmp_path / "index.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed half-way")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["index.json"]
    with replacing(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_a_build_removes_the_temporary_files_of_killed_builds_and_keeps_those_being_written(tmp_path: Path):
    """A cancelled build ends its worker half-way through a file; the next build of the item removes
    what such a process of this PC left, and what any PC left untouched for an hour."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c == "-")[:24]
    folder = tmp_path / "levels"
    folder.mkdir()
    names = {"killed here": f"{SHA}.L1.ply.{host}-{ended.stdout.strip()}-0123abcd.tmp",
             "being written here": f"{SHA}.pick.vertices.npy.{host}-{os.getpid()}-4567abcd.tmp",
             "being written elsewhere": f"{SHA}.L2.ply.other-pc-4242-89abcdef.tmp",
             "left elsewhere": f"{SHA}.json.other-pc-4343-01234567.tmp"}
    for name in names.values():
        (folder / name).write_bytes(b"partial")
    day_ago = time.time() - 86_400
    os.utime(folder / names["left elsewhere"], (day_ago, day_ago))
    build_levels(sphere(tmp_path / "in"), SHA, folder, targets=(60_000, 15_000))
    left = {what for what, name in names.items() if (folder / name).exists()}
    assert left == {"being written here", "being written elsewhere"}
