"""The contract of a catalogue engine: what ``archive.Archive`` asks of the catalogue.

A new engine (PostgreSQL for team archives) is one module with a class implementing these
methods; run the archive tests against it. Rows go in as column values
(``archive.records.to_row``, ``asset_row``) and come out as plain dicts or tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from ..search import SearchQuery

EVENT_COLUMNS = ("at", "agent", "type", "item_id", "asset_id", "field", "old_value", "new_value", "outcome",
                 "detail")
"""The columns of an event, in the order ``log_event`` and ``log_events`` take their values."""

EventSummary = tuple[int, int | None, str, str, str]
"""(event id, item id or None, type, agent, at) of one event: what the change feed reports."""


class ChangeWatcher(Protocol):
    """Tells, without blocking, whether other connections may have logged events (see
    ``Archive.watch_changes``); the caller then reads them with ``events_since``."""

    def fileno(self) -> int | None:
        """A socket that turns readable when a change arrives (PostgreSQL's LISTEN connection),
        or None: call ``pending`` on a timer."""
    def pending(self) -> bool:
        """Whether events may have been logged since the last call. Never blocks; after a lost
        connection it says True (something may have been missed) until it listens again."""
    def close(self) -> None: ...


class EventLogPoller:
    """A ChangeWatcher for an engine without notifications (SQLite): it compares the newest
    event id, one primary-key lookup, with the one it saw last."""

    def __init__(self, latest_event_id: Callable[[], int]):
        self._latest = latest_event_id
        self._seen = latest_event_id()

    def fileno(self) -> int | None:
        return None

    def pending(self) -> bool:
        latest = self._latest()
        changed, self._seen = latest != self._seen, latest
        return changed

    def close(self) -> None:
        """Nothing to release: it reads through the catalogue's own connection."""


class Catalogue(Protocol):
    @property
    def read_only(self) -> bool:
        """Opened on read-only media: every write raises StorageError."""

    def close(self) -> None: ...
    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction, queued behind other writers; nested: a savepoint. Raises
        StorageError for a full disk or read-only medium, and rolls back on any error."""
    def integrity_problems(self, quick: bool = False) -> list[str]: ...
    def snapshot(self, dest: Path) -> None:
        """A consistent single-user (SQLite) copy of the catalogue at ``dest``: backups."""

    # vocabularies
    def vocabulary(self, name: str) -> list[tuple[str, str | None]]: ...
    def vocabulary_names(self) -> list[str]: ...
    def vocabulary_value(self, name: str, folded: str) -> str | None: ...
    def add_vocabulary(self, name: str, value: str, label_en: str, folded: str) -> None: ...

    # items
    def item_row(self, item_id: int) -> dict[str, Any] | None: ...
    def item_exists(self, item_id: int) -> bool: ...
    def item_kind(self, item_id: int) -> str | None: ...
    def item_id_for_accession(self, accession: str) -> int | None: ...
    def accessions(self) -> dict[int, str]: ...
    def accessions_taken(self, accessions: Sequence[str]) -> set[str]: ...
    def next_item_id(self) -> int: ...
    def count_items(self) -> int: ...
    def insert_item(self, row: dict[str, Any], search_text: str) -> int: ...
    def insert_items(self, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                     search_texts: Iterable[tuple[int, str]]) -> None: ...
    def update_item(self, item_id: int, row: dict[str, Any], search_text: str | None = None) -> None: ...
    def unlink_serving_vessel(self, vessel_id: int) -> list[tuple[int, int]]: ...
    def delete_item(self, item_id: int) -> None: ...
    def collections(self) -> list[str]: ...

    # search: ids in display order, then display rows for one page (no per-row work beyond decoding)
    def search_ids(self, query: SearchQuery) -> list[int]: ...
    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]: ...

    # assets and files
    def asset_rows(self, item_id: int) -> list[dict[str, Any]]: ...
    def file_rows(self, asset_id: int) -> list[dict[str, Any]]: ...
    def asset_columns(self) -> set[str]: ...
    def insert_asset(self, row: dict[str, Any], files: Iterable[tuple[str, str, int]]) -> int: ...
    def asset_row(self, asset_id: int) -> dict[str, Any] | None: ...
    def update_asset(self, asset_id: int, row: dict[str, Any]) -> None:
        """Set the columns in ``row`` of one asset (descriptive fields only; files never change)."""
    def current_master(self, item_id: int) -> tuple[str, str, str] | None: ...
    def item_with_master_bytes(self, sha256: str) -> int | None: ...
    def has_storage_dir(self, storage_dir: str) -> bool: ...
    def asset_count(self) -> int: ...
    def storage_dirs(self) -> set[str]: ...
    def fixity_rows(self) -> list[tuple[int, str, str, str, int]]: ...

    # events (values in EVENT_COLUMNS order)
    def log_event(self, values: Sequence[Any]) -> None: ...
    def log_events(self, rows: Iterable[Sequence[Any]]) -> None: ...
    def history(self, item_id: int) -> list[dict[str, Any]]: ...
    def field_saves_since(self, item_id: int, version: int) -> list[tuple[str, str, str]]: ...

    # the change feed: events other connections logged (writers are serialised, so ids grow in commit order)
    def latest_event_id(self) -> int:
        """The newest event's id (0 when there is none)."""
    def events_since(self, event_id: int, limit: int) -> list[EventSummary]:
        """The first ``limit`` events after ``event_id``, oldest first."""
    def watch(self) -> ChangeWatcher:
        """A watcher of events logged through other connections (close it before the catalogue)."""

    # links to items not in the archive yet, by accession (see schema 005_pending_links)
    def add_pending_link(self, item_id: int, field: str, accession: str) -> None: ...
    def pending_links_to(self, accession: str) -> list[tuple[int, str]]:
        """(item_id, field) of every link waiting for an item with ``accession``."""
    def has_pending_links(self) -> bool:
        """Whether any link waits for an item that has not arrived (cheap: bulk inserts ask)."""
    def pending_links_of(self, item_id: int) -> list[tuple[str, str]]:
        """(field, accession) of the links item ``item_id`` waits to make."""
    def remove_pending_link(self, item_id: int, field: str) -> None: ...
