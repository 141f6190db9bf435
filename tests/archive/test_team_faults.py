"""Faults of a team archive: a client killed mid-import, the catalogue's server restarted or gone
mid-import, the shared folder gone. Nothing is left half-done (``verify`` clean, staging cleaned),
the user gets a sentence saying what happened, and the catalogue can still be read.

Staging on the share is coordinated through the server (archive.catalogue.postgres_locks), never
with file locks: SMB and NFS do not promise that one PC sees another's locks, or that a dead
client's lock goes away. Two tests play such a share by giving this process its own view of the
locks, and a killed or paused client must still be handled right.

These tests run on the PostgreSQL pass (HERITAGE_TEST_CATALOGUE=postgres) with a server of their
own, which they crash and restart.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, StorageError
from archive.importer import ImportOptions, import_paths

from .faults import IMPORT_CHILD, start
from .helpers import write_box_ply, write_point_cloud, write_textured_obj

psycopg = pytest.importorskip("psycopg")
pytestmark = pytest.mark.skipif(os.environ.get("HERITAGE_TEST_CATALOGUE", "sqlite") != "postgres",
                                reason="team-archive faults run on the PostgreSQL pass (make test-postgres)")

KILL_ROUNDS = int(os.environ.get("HERITAGE_TEAM_KILLS", "5"))
_CLAIMS = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"  # two-key locks: staging claims

# Imports one scan; after placing its files (before the commit) it dies, or waits for a file.
PLACE_THEN = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive, StorageError
from archive.importer import ImportOptions, import_paths
root, scan, then, go = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
archive = Archive.open(root)
place = archive.store.place
def place_then(staged):
    done = place(staged)
    print("placed", flush=True)
    if then == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    while not go.exists():
        time.sleep(0.02)
    return done
archive.store.place = place_then
try:
    report = import_paths(archive, [scan], ImportOptions(isolate=False))
    print("imported", len(report.imported), flush=True)
except StorageError as exc:
    print("refused", exc, flush=True)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A PostgreSQL server of this module's own: the tests crash and restart it."""
    from .pg import own_durable_server

    yield from own_durable_server()


@pytest.fixture
def root(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PGUSER", "postgres")  # children open the archive as this user too
    folder = tmp_path / "share" / "team"
    Archive.create(folder, catalogue=server.new_database(server.catalogue_template())).close()
    return folder


def problems(root: Path) -> list[str]:
    """What a crash may never leave, seen after a fresh open (which runs the recovery)."""
    found: list[str] = []
    with Archive.open(root) as archive:
        report = archive.verify()
        found += report.database + [f["message"] for f in report.files if f["status"] != "ok"]
        found += [f"staging not cleaned: {p.name}" for p in archive.store.staging.iterdir()]
        masters = []
        for item_id in archive.search_ids():
            assets = archive.get(item_id)["assets"]
            found += [] if assets else [f"item {item_id} has no scan"]
            masters += [next(f["sha256"] for f in a["files"] if f["path"] == a["main_file"]) for a in assets]
        found += [f"{len(masters) - len(set(masters))} duplicate scan(s)"] if len(set(masters)) < len(masters) else []
    return found


def claim_pids(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [row[0] for row in conn.execute(_CLAIMS)]


def wait_for_released_claims(url: str) -> None:
    """The server drops a dead client's claims as soon as it notices the connection closed."""
    end = time.monotonic() + 20
    while claim_pids(url) and time.monotonic() < end:
        time.sleep(0.05)


def url_of(root: Path) -> str:
    from archive import team

    return team.read(root)


def objects_in(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob("objects/*/*"))


# -- nothing locks files on the share --------------------------------------------------------------
def test_a_team_archive_locks_no_file_on_the_shared_folder(root: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    import platform_support.files as files

    locked: list[Path] = []
    real = files._new_lock
    monkeypatch.setattr(files, "_new_lock", lambda path: locked.append(Path(path)) or real(path))
    with Archive.open(root) as archive:
        report = import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
        assert len(report.imported) == 1
    with Archive.open(root):  # recovery at open asks the server too
        pass
    assert [p for p in locked if p.is_relative_to(root)] == []


@contextmanager
def running_child(root: Path, scan: Path, then: str, go: Path) -> Iterator[Any]:
    child = start(PLACE_THEN, str(root), str(scan), then, str(go))
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "placed", child.stderr.read() if child.stderr else ""
        yield child
    finally:
        if child.poll() is None:
            go.touch()
        child.communicate(timeout=120)


def test_another_pc_opening_never_cleans_up_an_import_in_progress(root: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    """As on an NFS share without shared locks: this PC cannot see the other PC's file locks."""
    import platform_support.files as files

    real, own_view = files._new_lock, tmp_path / "this-pc-locks"
    own_view.mkdir()
    monkeypatch.setattr(files, "_new_lock", lambda path: real(own_view / Path(path).name))
    go = tmp_path / "go"
    with running_child(root, write_box_ply(tmp_path / "in"), "wait", go) as child:
        Archive.open(root).close()  # this PC opens the archive: its recovery runs
        go.touch()
        out, err = child.communicate(timeout=120)
    assert "imported 1" in out, (out, err)
    assert problems(root) == []


def test_a_client_killed_after_placing_is_cleaned_up_even_where_its_locks_outlive_it(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """As on a share that keeps a dead client's lock for a while (NFSv4 leases, SMB handles)."""
    import filelock

    import platform_support.files as files

    class StaleLock:
        def __init__(self, path: str) -> None:
            self.path = path

        def acquire(self, timeout: float = -1) -> None:
            raise filelock.Timeout(self.path)

        def release(self, force: bool = False) -> None:
            pass

    with running_child(root, write_box_ply(tmp_path / "in"), "die", tmp_path / "go") as child:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert objects_in(root) != []  # placed, never committed
    wait_for_released_claims(url_of(root))
    monkeypatch.setattr(files, "_new_lock", StaleLock)
    assert problems(root) == []
    assert objects_in(root) == []


# -- killed at any moment -----------------------------------------------------------------------------
def scans(folder: Path, n: int) -> Path:
    write_textured_obj(folder / "vase")
    write_box_ply(folder, f"box{n}.ply", size=n + 1)
    write_point_cloud(folder, f"cloud{n}.ply", n=20_000 + n)
    return folder


def test_clients_killed_at_random_moments_of_an_import_leave_nothing_half_done(root: Path, tmp_path: Path):
    rng = random.Random(13)
    child = start(IMPORT_CHILD, str(root), str(scans(tmp_path / "timing", 99)))
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    began = time.perf_counter()
    child.communicate(timeout=300)
    window = (time.perf_counter() - began) * 1.1
    killed = 0
    for n in range(KILL_ROUNDS):
        child = start(IMPORT_CHILD, str(root), str(scans(tmp_path / f"src{n}", n)))
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, window))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        child.communicate(timeout=120)
        wait_for_released_claims(url_of(root))
        assert problems(root) == [], f"round {n}"
    assert killed > 0


# -- the catalogue's server restarted or gone ----------------------------------------------------------
def test_a_server_restart_during_an_import_fails_it_cleanly_and_the_next_import_works(
        root: Path, server: Any, tmp_path: Path):
    with Archive.open(root) as archive:
        place = archive.store.place

        def place_then_restart(staged: Any) -> str:
            done = place(staged)
            server.crash()
            server.start_again()
            return done

        archive.store.place = place_then_restart  # type: ignore[method-assign]
        # the commit connects again, and finds the staging claim gone with the server's restart
        with pytest.raises(StorageError, match="catalogue server cannot be reached|connection to the catalogue "
                                               "server was lost during the import"):
            import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
        archive.store.place = place  # type: ignore[method-assign]
        assert objects_in(root) == []
        assert archive.count() == 0  # the first call after the failure connects again
        report = import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
        assert len(report.imported) == 1
    assert problems(root) == []


@contextmanager
def after_the_commit(archive: Archive, then: Any) -> Iterator[None]:
    """Run ``then()`` as the outermost write transaction of ``archive`` has committed."""
    real, depth = archive.catalogue.transaction, [0]

    @contextmanager
    def transaction() -> Iterator[None]:
        depth[0] += 1
        try:
            with real():
                yield
        finally:
            depth[0] -= 1
        if depth[0] == 0:
            then()

    archive.catalogue.transaction = transaction  # type: ignore[method-assign]
    try:
        yield
    finally:
        archive.catalogue.transaction = real  # type: ignore[method-assign]


def test_a_server_restart_just_after_the_commit_still_reports_the_import(root: Path, server: Any, tmp_path: Path):
    def restart() -> None:
        server.crash()
        server.start_again()

    with Archive.open(root) as archive:
        with after_the_commit(archive, restart):
            report = import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
        assert len(report.imported) == 1 and report.errors == []
    assert problems(root) == []
    with Archive.open(root) as archive:
        assert archive.count() == 1


def test_a_commit_whose_answer_never_came_is_settled_at_the_next_open(root: Path, server: Any, tmp_path: Path):
    def server_gone() -> None:
        server.crash()  # the COMMIT went through; its answer is lost with the server
        raise StorageError("The catalogue server cannot be reached (server closed the connection unexpectedly)")

    try:
        with Archive.open(root) as archive:
            with after_the_commit(archive, server_gone), pytest.raises(StorageError, match="settled the next time"):
                import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
            assert objects_in(root) != []  # kept: the commit may have happened
    finally:
        server.start_again()
    assert problems(root) == []
    with Archive.open(root) as archive:
        assert archive.count() == 1  # it had happened: item and files are whole


def test_an_import_that_lost_its_staging_claim_is_refused_and_leaves_nothing(root: Path, tmp_path: Path):
    """The claim's connection dropped (a network cut) and another PC cleaned the session up."""
    url = url_of(root)
    with Archive.open(root) as archive:
        place = archive.store.place

        def place_then_lose_claim(staged: Any) -> str:
            done = place(staged)
            with psycopg.connect(url, autocommit=True) as admin:
                for pid in claim_pids(url):
                    admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            wait_for_released_claims(url)
            Archive.open(root).close()  # another PC opens the archive meanwhile
            return done

        archive.store.place = place_then_lose_claim  # type: ignore[method-assign]
        with pytest.raises(StorageError, match="connection to the catalogue server was lost during the import"):
            import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
        archive.store.place = place  # type: ignore[method-assign]
        assert archive.count() == 0
        assert len(import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False)).imported) == 1
    assert problems(root) == []


def test_another_pc_cleaning_up_waits_for_a_commit_in_progress(root: Path, tmp_path: Path):
    """The claim drops just after the commit began: recovery must not take the files from under it."""
    import threading

    url = url_of(root)
    with Archive.open(root) as archive, Archive.open(root) as other_pc:
        check = archive.store.check_still_staged
        cleaning: list[threading.Thread] = []

        def check_then_lose_claim(staged: Any) -> None:
            check(staged)  # inside the commit's transaction, under the writers' lock
            with psycopg.connect(url, autocommit=True) as admin:
                for pid in claim_pids(url):
                    admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            wait_for_released_claims(url)
            recover = partial(other_pc.store.recover, other_pc.catalogue.has_storage_dir)
            cleaning.append(threading.Thread(target=recover))
            cleaning[0].start()
            time.sleep(1.0)  # time enough to remove the placement, unless it waits for this commit

        archive.store.check_still_staged = check_then_lose_claim  # type: ignore[method-assign]
        report = import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False))
        cleaning[0].join(60)
        assert len(report.imported) == 1
    assert problems(root) == []


# -- the shared folder gone ---------------------------------------------------------------------------
def test_with_the_shared_folder_gone_the_catalogue_reads_and_file_work_says_why(root: Path, tmp_path: Path):
    with Archive.open(root) as archive:
        item = import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(isolate=False)).imported[0]
        events = len(archive.history(item))
        away = root.with_name("unmounted")
        root.rename(away)
        root.mkdir()  # the empty mount point the share leaves behind
        try:
            assert archive.search_ids() == [item] and archive.rows([item])[0]["id"] == item
            assert archive.get(item)["assets"][0]["files"]
            for action in (lambda: import_paths(archive, [write_box_ply(tmp_path / "in2", size=3)]),
                           lambda: archive.master_path(item), archive.verify):
                with pytest.raises(StorageError, match=f"{root} cannot be reached.*catalogue can still be browsed"):
                    action()
            assert archive.ensure_thumbnails(lambda path: b"") == 0
            assert list(root.iterdir()) == []  # nothing was written where the share should be
            assert len(archive.history(item)) == events  # no fixity failure logged for everyone
            archive.update(item, {"title_en": "Edited while the share was away"})  # catalogue only
        finally:
            root.rmdir()
            away.rename(root)
        assert len(import_paths(archive, [write_box_ply(tmp_path / "in2", size=3)]).imported) == 1
    assert problems(root) == []


def test_opening_a_team_archive_whose_folder_is_gone_says_so(root: Path):
    away = root.with_name("unmounted")
    root.rename(away)
    with pytest.raises(StorageError, match="folder cannot be found.*network drive"):
        Archive.open(root)
    root.mkdir()  # the empty mount point an unmounted share leaves
    with pytest.raises(StorageError, match="not an archive.*network drive or a removable disk, connect it"):
        Archive.open(root)
