"""Nothing lost under faults: killed imports, two writers, backups during writes, immutability."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import time
from pathlib import Path

import pytest

from archive import Archive, SearchQuery
from archive.backup import backup, restore
from archive.csvio import export_csv, import_csv
from archive.importer import import_paths
from archive.verify import verify

from .faults import IMPORT_CHILD, WRITER_CHILD, check_invariants, start
from .helpers import write_box_ply, write_point_cloud, write_textured_obj

KILLS_IN_CI = int(os.environ.get("HERITAGE_KILLS", "12"))


def scan_folder(folder: Path, seed: int) -> Path:
    write_textured_obj(folder / "vase")
    write_box_ply(folder, f"box{seed}.ply", size=seed + 1)
    write_point_cloud(folder, f"cloud{seed}.ply", n=20_000 + seed)
    return folder


def import_duration(tmp_path: Path) -> float:
    """How long the child takes from "ready" to done, measured on a throw-away archive."""
    root = tmp_path / "calibration"
    Archive.create(root).close()
    child = start(IMPORT_CHILD, str(root), str(scan_folder(tmp_path / "calibration-src", seed=99)))
    assert child.stdout is not None
    child.stdout.readline()
    began = time.perf_counter()
    child.communicate(timeout=300)
    return time.perf_counter() - began


def kill_during_import(tmp_path: Path, rounds: int, rng: random.Random) -> tuple[int, int]:
    """Import into one archive again and again, SIGKILLing the importer at random moments."""
    root = tmp_path / "arch"
    Archive.create(root).close()
    window = import_duration(tmp_path) * 1.1  # kills land anywhere from start to commit
    killed = completed = 0
    for n in range(rounds):
        folder = scan_folder(tmp_path / f"src{n}", seed=n)
        child = start(IMPORT_CHILD, str(root), str(folder))
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0, window))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        else:
            completed += 1
        child.wait()
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
        problems = check_invariants(root)
        assert problems == [], f"round {n}: {problems}"
    return killed, completed


def test_kill_during_import_leaves_every_item_whole_or_absent(tmp_path):
    killed, completed = kill_during_import(tmp_path, KILLS_IN_CI, random.Random(11))
    assert killed > 0


def test_two_processes_writing_lose_nothing(tmp_path):
    root = tmp_path / "arch"
    Archive.create(root).close()
    writers = [start(WRITER_CHILD, str(root), tag, "40") for tag in ("A", "B")]
    outputs = [w.communicate(timeout=300) for w in writers]
    for writer, (_out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0 and "locked" not in err, err
    with Archive.open(root) as archive:
        assert archive.count() == 80
        assert len(archive.search_ids(SearchQuery(text="mon a"))) == 40
    assert check_invariants(root) == []


def test_hot_backup_while_another_process_writes(tmp_path):
    root = tmp_path / "arch"
    with Archive.create(root) as archive:
        import_paths(archive, [scan_folder(tmp_path / "src", 1)])
    writer = start(WRITER_CHILD, str(root), "W", "60")
    time.sleep(0.3)
    with Archive.open(root) as archive:
        dest = backup(archive, tmp_path / "bk")
    writer.communicate(timeout=300)
    assert writer.returncode == 0
    restored = restore(dest, tmp_path / "restored")
    with Archive.open(restored) as copy:
        assert verify(copy).ok
        assert copy.count() >= 3
        for item_id in copy.search_ids():
            assert copy.get(item_id)["accession"]


def test_originals_never_change_through_edits_exports_and_reimports(tmp_path):
    root = tmp_path / "arch"
    with Archive.create(root) as archive:
        report = import_paths(archive, [scan_folder(tmp_path / "src", 2)])
        stored = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "objects").rglob("*") if p.is_file()}
        for item_id in report.imported:
            archive.update(item_id, {"title_en": "edited", "status": "reviewed"})
        export_csv(archive, tmp_path / "all.csv")
        import_csv(archive, tmp_path / "all.csv")
        again = import_paths(archive, [tmp_path / "src"])
        assert again.imported == [] and {e["type"] for e in again.errors} == {"DuplicateImport"}
        assert verify(archive).ok
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "objects").rglob("*") if p.is_file()}
    assert after == stored
    assert all(not os.access(p, os.W_OK) or os.geteuid() == 0 for p in after)
    assert all(p.stat().st_mode & 0o222 == 0 for p in after)


@pytest.mark.slow
def test_kill_during_import_many_times(tmp_path):
    """The full version (hundreds of kills): `pytest -m slow tests/archive/test_faults.py`."""
    rounds = int(os.environ.get("HERITAGE_KILLS_FULL", "200"))
    killed, completed = kill_during_import(tmp_path, rounds, random.Random(5))
    print(f"\n{rounds} imports: {killed} killed mid-way, {completed} completed; invariants held after each")
    assert killed > rounds // 2
