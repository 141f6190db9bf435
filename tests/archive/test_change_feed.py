"""The change feed (archive.changes): what another connection to the same archive changed, read
from the event log, and a watcher saying when to look (PostgreSQL: LISTEN/NOTIFY; SQLite: the
newest event id). The engine-neutral tests run on both engines (HERITAGE_TEST_CATALOGUE)."""

from __future__ import annotations

import select
import time
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, ChangeEvent, StorageError, ValidationError

ITEMS = [{"kind": "dish", "accession": f"D-{n}", "title_vi": f"Món {n}"} for n in range(1, 4)]


def wait_pending(watcher: Any, seconds: float = 5.0) -> bool:
    """Whether the watcher reports a change within ``seconds`` (a notice takes a moment to arrive)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if watcher.pending():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def two_users(tmp_path: Path):
    """The same archive opened twice, as two users on two PCs would: (an, binh)."""
    with Archive.create(tmp_path / "shared", agent="an") as an:
        an.add_items(ITEMS)
        with Archive.open(tmp_path / "shared", agent="binh") as binh:
            yield an, binh


def test_a_change_through_another_connection_is_in_the_feed(two_users):
    an, binh = two_users
    start = an.latest_event_id()
    item = binh.find_by_accession("D-2")
    binh.update(item, {"title_en": "Dish two", "culture": "Huế"})
    changes = an.changes_since(start)
    assert [(c.item_id, c.type, c.agent) for c in changes] == [(item, "edit", "binh")] * 2
    assert {c.field for c in changes} == {"title_en", "culture"}
    assert all(isinstance(c, ChangeEvent) and c.id > start and c.at for c in changes)
    assert an.latest_event_id() == changes[-1].id
    assert an.changes_since(an.latest_event_id()) == []


def test_new_and_deleted_items_are_in_the_feed(two_users):
    an, binh = two_users
    start = an.latest_event_id()
    added = binh.add_item({"kind": "relic", "title_vi": "Chén ngự"})
    gone = binh.find_by_accession("D-1")
    binh.delete(gone, confirmed=True)
    assert [(c.item_id, c.type) for c in an.changes_since(start)] == [(added, "create"), (gone, "delete")]


def test_the_feed_comes_in_pages_oldest_first(two_users):
    an, binh = two_users
    start = an.latest_event_id()
    ids = binh.add_items([{"kind": "other", "title_en": f"Thing {n}"} for n in range(5)])
    first = an.changes_since(start, limit=2)
    rest = an.changes_since(first[-1].id, limit=10)
    assert [c.item_id for c in first + rest] == ids
    assert [c.id for c in first + rest] == sorted(c.id for c in first + rest)


def test_the_watcher_says_when_there_is_something_new(two_users):
    an, binh = two_users
    watcher = an.watch_changes()
    try:
        assert not watcher.pending()  # nothing yet
        binh.update(binh.find_by_accession("D-3"), {"title_en": "Dish three"})
        assert wait_pending(watcher)
        assert not watcher.pending()  # told once
        binh.add_items([{"kind": "other", "title_en": "Bulk"}])  # COPY on PostgreSQL: still one notice
        assert wait_pending(watcher)
    finally:
        watcher.close()


def test_a_refused_change_leaves_nothing_to_report(two_users):
    an, binh = two_users
    watcher = an.watch_changes()
    start = an.latest_event_id()
    try:
        with pytest.raises(ValidationError):
            binh.update(binh.find_by_accession("D-1"), {"status": "lost"})
        assert not wait_pending(watcher, seconds=0.5)
        assert an.changes_since(start) == []
    finally:
        watcher.close()


def test_a_closed_sqlite_connection_is_a_storage_error(tmp_path: Path):
    with Archive.create(tmp_path / "a") as archive:
        watcher = archive.watch_changes()
        assert watcher.fileno() is None  # SQLite: polled on a timer
        archive.db.conn.close()
        with pytest.raises(StorageError, match="reading the latest changes"):
            archive.changes_since(0)
        with pytest.raises(StorageError):
            watcher.pending()


# -- PostgreSQL: notices ----------------------------------------------------------------------

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def team(pg_server: Any, tmp_path: Path):
    with Archive.create(tmp_path / "team", agent="an", catalogue=pg_server.new_database()) as an:
        an.add_items(ITEMS)
        with Archive.open(tmp_path / "team", agent="binh") as binh:
            yield an, binh


def test_a_commit_wakes_the_listening_socket(team):
    an, binh = team
    watcher = an.watch_changes()
    try:
        fd = watcher.fileno()
        assert fd is not None
        assert select.select([fd], [], [], 0.2)[0] == []  # idle: nothing to read
        binh.update(binh.find_by_accession("D-1"), {"title_en": "One"})
        assert select.select([fd], [], [], 5)[0] == [fd]  # woken, no polling
        assert watcher.pending() and not watcher.pending()
    finally:
        watcher.close()


def test_a_transaction_still_open_sends_no_notice(team):
    an, binh = team
    watcher = an.watch_changes()
    try:
        with binh.catalogue.transaction():
            binh.log("fixity", item_id=binh.find_by_accession("D-2"))
            assert not wait_pending(watcher, seconds=0.3)  # not committed: nothing to see yet
        assert wait_pending(watcher)
        assert [c.type for c in an.changes_since(an.latest_event_id() - 1)] == ["fixity"]
    finally:
        watcher.close()


def test_the_listener_listens_again_after_its_connection_is_lost(team, pg_server, monkeypatch):
    from archive.catalogue import postgres_notify

    monkeypatch.setattr(postgres_notify, "RETRY_S", 0.0)
    an, binh = team
    watcher = an.watch_changes()
    try:
        with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'heritage-listen'")
        assert wait_pending(watcher)  # lost: it says "look", then listens again
        deadline = time.monotonic() + 5
        while not watcher.listening and time.monotonic() < deadline:
            watcher.pending()
        assert watcher.listening
        while watcher.pending():  # what the reconnection itself reported
            pass
        binh.update(binh.find_by_accession("D-3"), {"title_en": "Three"})
        assert wait_pending(watcher)
    finally:
        watcher.close()


def test_an_unreachable_server_means_looking_on_the_timer():
    import socket

    from archive.catalogue.postgres_notify import ChangeListener

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listener = ChangeListener(f"postgresql://127.0.0.1:{port}/nothing")  # no exception: the app keeps working
    assert not listener.listening and listener.fileno() is None
    assert listener.pending()  # may have missed something: look
    listener.close()
