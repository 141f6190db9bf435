"""The automatic backup of a team archive is made by one PC at a time (archive.catalogue.postgres_jobs):
every PC that opens the archive may find the day's backup missing, and only the first writes it; a
PC that dies while writing it frees the job for the others. Single-user archives keep their way.

Two PCs are two ``Archive`` objects on the same folder (two connections to the server), or a child
process. These run on the PostgreSQL pass (HERITAGE_TEST_CATALOGUE=postgres).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from archive import Archive

from .faults import start

on_postgres = pytest.mark.skipif(os.environ.get("HERITAGE_TEST_CATALOGUE", "sqlite") != "postgres",
                                 reason="team-archive jobs run on the PostgreSQL pass (make test-postgres)")

# Opens the archive and starts its automatic backup, which stops for good once the job is taken.
BACKUP_THEN_HANG = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive
archive = Archive.open(Path(sys.argv[1]))
def hang(dest):
    print("backing up", flush=True)
    time.sleep(3600)
archive.catalogue.snapshot = hang
archive.auto_backup(min_age_hours=0)
"""


def automatic_backups(root: Path) -> list[str]:
    folder = root / "backups"
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("auto-")) if folder.is_dir() else []


@pytest.fixture
def team_root(tmp_path: Path) -> Path:
    root = tmp_path / "share" / "team"
    with Archive.create(root, agent="an") as archive:
        archive.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Phở"})
    return root


@on_postgres
def test_a_second_pc_leaves_the_automatic_backup_to_the_one_making_it(team_root: Path):
    with Archive.open(team_root, agent="an") as pc_a, Archive.open(team_root, agent="binh") as pc_b:
        started, go, made = threading.Event(), threading.Event(), []
        snapshot = pc_a.catalogue.snapshot

        def slow_snapshot(dest: Path) -> None:
            started.set()
            go.wait(60)
            snapshot(dest)

        pc_a.catalogue.snapshot = slow_snapshot  # type: ignore[method-assign]
        making = threading.Thread(target=lambda: made.append(pc_a.auto_backup(min_age_hours=0)))
        making.start()
        try:
            assert started.wait(60)
            assert pc_b.auto_backup(min_age_hours=0) is None  # at once: neither waits nor writes a second one
        finally:
            go.set()
            making.join(120)
        assert made and made[0] is not None and automatic_backups(team_root) == [made[0].name]
        assert pc_b.auto_backup() is None  # the job is free again, and the backup just made is recent
        assert len(automatic_backups(team_root)) == 1


@on_postgres
def test_a_pc_that_died_while_backing_up_frees_the_job(team_root: Path):
    child = start(BACKUP_THEN_HANG, str(team_root))
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "backing up"
        with Archive.open(team_root, agent="binh") as other:
            assert other.auto_backup(min_age_hours=0) is None
            child.send_signal(signal.SIGKILL)
            child.wait(60)
            deadline, made = time.monotonic() + 30, None
            while made is None and time.monotonic() < deadline:  # the server notices the closed connection
                made = other.auto_backup(min_age_hours=0)
                time.sleep(0.1)
            assert made is not None and automatic_backups(team_root) == [made.name]
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=60)


def test_automatic_backups_of_any_archive_still_rotate(team_root: Path):
    """The job's lock changes nothing for one PC: each call with no recent backup makes one."""
    with Archive.open(team_root) as archive:
        made = [archive.auto_backup(keep=2, min_age_hours=0) for _ in range(3)]
        assert all(made) and automatic_backups(team_root) == sorted(p.name for p in made[1:] if p)
