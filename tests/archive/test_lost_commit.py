"""A plain edit whose connection to the team archive's server is lost during its COMMIT
(Archive.update, _settle_lost_save): the server may have committed it before its answer was lost,
so "not saved" would be a guess. The save's events carry a token of that save; asked again on a
new connection they say "saved" or "not saved" for certain, and when the server cannot be asked
the user is told that, and that saving again settles it without saving twice.

The loss is made on the test server: its backend is terminated from another connection, just
after the COMMIT went through (the answer then "never came": the error psycopg raises for it is
raised by a wrapped transaction) or just before it (the COMMIT itself then really fails).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, StorageError

psycopg = pytest.importorskip("psycopg")
LOST = "The catalogue server cannot be reached at here (server closed the connection unexpectedly)"


@pytest.fixture
def archive(pg_server: Any, tmp_path: Path) -> Iterator[Archive]:
    """A team archive holding one dish (id 1)."""
    url = pg_server.new_database(pg_server.catalogue_template())
    with Archive.create(tmp_path / "team", agent="an", catalogue=url) as opened:
        opened.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Phở"})
        yield opened


def terminate_backend(archive: Archive) -> None:
    """End the catalogue's server session from another connection, and wait until it is gone."""
    catalogue: Any = archive.catalogue
    with psycopg.connect(catalogue.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [catalogue.conn.info.backend_pid])


@contextmanager
def answer_lost_after_commit(archive: Archive, before_asking: Any = None) -> Iterator[None]:
    """The outermost write transaction commits, then its connection is lost and the error a lost
    answer gives is raised (``before_asking`` runs first: make the catalogue unreachable)."""
    catalogue: Any = archive.catalogue
    real = catalogue.transaction

    @contextmanager
    def transaction() -> Iterator[None]:
        with real():
            yield
        terminate_backend(archive)
        if before_asking is not None:
            before_asking()
        raise StorageError(f"{LOST}; nothing was changed. The change was not saved.")

    catalogue.transaction = transaction
    try:
        yield
    finally:
        catalogue.transaction = real


def edits_of(archive: Archive, item_id: int, field: str) -> int:
    return sum(1 for e in archive.history(item_id) if e["type"] == "edit" and e["field"] == field)


def test_a_save_whose_commit_answer_was_lost_is_reported_saved(archive: Archive):
    with answer_lost_after_commit(archive):
        change = archive.update(1, {"title_vi": "Phở bò"}, expected_version=1)
    assert change.item_ids == [1] and set(change.fields) == {"title_vi"}
    assert archive.get(1)["title_vi"] == "Phở bò" and archive.get(1)["version"] == 2
    assert edits_of(archive, 1, "title_vi") == 1


def test_a_save_lost_before_its_commit_reached_the_server_is_reported_not_saved_after_asking(archive: Archive):
    catalogue: Any = archive.catalogue
    real_log = catalogue.log_event

    def log_then_lose(values: Any) -> None:
        real_log(values)
        terminate_backend(archive)  # the COMMIT that follows finds the session ended

    catalogue.log_event = log_then_lose
    try:
        with pytest.raises(StorageError, match="does not have it: the change was not saved"):
            archive.update(1, {"title_vi": "Phở gà"}, expected_version=1)
    finally:
        catalogue.log_event = real_log
    assert archive.get(1)["title_vi"] == "Phở" and archive.get(1)["version"] == 1
    assert edits_of(archive, 1, "title_vi") == 0


def test_when_the_server_cannot_be_asked_the_user_hears_so_and_saving_again_settles_it(archive: Archive):
    catalogue: Any = archive.catalogue
    url = catalogue.url

    def unreachable() -> None:
        catalogue.url = "postgresql://127.0.0.1:1/nothing"  # refused at once: the network is still down

    with answer_lost_after_commit(archive, before_asking=unreachable), \
            pytest.raises(StorageError, match="cannot be asked yet whether it was saved") as raised:
        archive.update(1, {"title_vi": "Phở bò"}, expected_version=1)
    assert "not saved" not in str(raised.value)
    catalogue.url = url  # the network is back; the form still holds the edits, saved against version 1
    archive.update(1, {"title_vi": "Phở bò"}, expected_version=1)
    assert archive.get(1)["title_vi"] == "Phở bò" and archive.get(1)["version"] == 2
    assert edits_of(archive, 1, "title_vi") == 1  # found saved, not saved twice
