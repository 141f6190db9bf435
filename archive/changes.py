"""The change feed: what other users (other processes, other PCs) changed, read from the event log.

Every change is an event (invariant 3), so the events table is the feed: a reader remembers the
newest event id it has seen (``latest_event_id``) and asks for what came after
(``changes_since``), one indexed range read of the primary key on either engine. To know *when*
to ask, ``watch_changes`` gives a watcher: on a team archive it listens for PostgreSQL's notices
(``fileno()`` is a socket an event loop can watch); on SQLite it polls the newest id. The app has
one code path for both: call ``pending()`` (on the socket's wake-up or a timer), then
``changes_since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .catalogue.base import ChangeWatcher

FEED_LIMIT = 2000  # events read at once; a bigger burst (a bulk import) comes in later reads


@dataclass(frozen=True)
class ChangeEvent:
    """One logged change: who (``agent``, the database user on a team archive) did what
    (``type``: create, edit, import, delete, vocabulary…; ``field``: the field an edit or a
    vocabulary addition was about) to which item (None: not an item's), when (``at``, ISO 8601 UTC)."""

    id: int
    item_id: int | None
    type: str
    field: str | None
    agent: str
    at: str


class ChangeFeed:
    """``Archive``'s change-feed methods (a mixin: it reads ``self.catalogue``)."""

    catalogue: Catalogue

    def latest_event_id(self) -> int:
        """The id of the newest event (0 in an empty archive): where a reader starts."""
        return self.catalogue.latest_event_id()

    def changes_since(self, event_id: int, limit: int = FEED_LIMIT) -> list[ChangeEvent]:
        """The events logged after ``event_id`` (by anyone, this connection included), oldest
        first, at most ``limit``: read again from the last one's id for the rest. Raises
        StorageError when the catalogue cannot be read (drive or server gone)."""
        return [ChangeEvent(int(i), None if item is None else int(item), kind, field, agent, at)
                for i, item, kind, field, agent, at in self.catalogue.events_since(event_id, limit)]

    def watch_changes(self) -> ChangeWatcher:
        """A watcher saying when ``changes_since`` may have something new: ``pending()`` never
        blocks; ``fileno()`` is a socket to watch (PostgreSQL) or None (SQLite: call ``pending``
        on a timer, it reads the newest event id). Close it before the archive."""
        return self.catalogue.watch()
