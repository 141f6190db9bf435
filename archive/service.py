"""``Archive``: the one entry point to a catalogue and its file store.

Everything the app does to data goes through here; it knows nothing of Qt. Each instance
owns one catalogue connection (``archive.catalogue``: the only place that runs SQL): open
one per thread. Writes return a ``Change`` saying what changed.

``Archive`` is one class made of parts, each a mixin in a module of its own: writing items
(``item_editing``), their files (``item_files``), deleting them (``item_deletion``), long
operations (``operations``), the change feed, research records, comparisons and team access.
This module opens and closes archives and holds what is left: reading, searching, vocabularies
and events.
"""

from __future__ import annotations

import getpass
import os
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from platform_support import remove_tree

from . import health, team
from .access import TeamAccess
from .catalogue import READ_ONLY, Catalogue, SQLiteCatalogue
from .changes import ChangeEvent, ChangeFeed
from .comparisons import Comparisons
from .errors import NotFound, StorageError, ValidationError
from .fields import ITEM_FIELD, ITEM_FIELDS
from .item_deletion import ItemDeletion
from .item_editing import Change, ItemEditing
from .item_files import ItemFiles
from .operations import Operations
from .records import event_value, item_from_row, now
from .reports import VerifyReport
from .research import Research
from .search import SearchQuery
from .store import CancelToken, FileStore
from .text import fold

CATALOGUE = "catalogue.sqlite"
ROW_COLUMNS = ("id", "accession", "kind", "title_vi", "title_en", "status", "period", "collections",
               "culinary_line", "materials", "updated_at")


def default_agent() -> str:
    return os.environ.get("HERITAGE_USER") or getpass.getuser()


class Archive(ItemEditing, ItemFiles, ItemDeletion, Operations, ChangeFeed, Research, Comparisons, TeamAccess):
    def __init__(self, root: Path, catalogue: Catalogue, agent: str | None = None):
        """Use ``Archive.open`` or ``Archive.create``; this wraps an already opened catalogue."""
        self.root = root
        self.catalogue = catalogue
        sessions = getattr(catalogue, "staging_sessions", None)  # a team catalogue coordinates staging
        self.store = FileStore(root, sessions() if sessions else None)
        self.agent = agent or default_agent()
        self.warnings: list[str] = []  # about where the archive lives; the app shows them
        self.read_only = False  # on read-only media: browse, search, view, export elsewhere

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | str, agent: str | None = None, catalogue: str | None = None) -> Archive:
        """A new archive in folder ``root`` (new or empty). ``catalogue``: the URL of an empty
        PostgreSQL database, for a team archive (its settings file names it; see ``archive.team``)."""
        root = Path(root)
        if (root / CATALOGUE).exists() or team.is_team(root):
            raise StorageError(f"{root} already holds an archive")
        if root.exists() and any(root.iterdir()):
            raise StorageError(f"{root} is not empty; choose an empty or new folder for a new archive")
        if catalogue is not None:
            return cls._create_team(root, team.check_url(catalogue), agent)
        root.mkdir(parents=True, exist_ok=True)
        FileStore(root).create_dirs()
        return cls(root, SQLiteCatalogue.open(root / CATALOGUE, create=True), agent)

    @classmethod
    def _create_team(cls, root: Path, url: str, agent: str | None) -> Archive:
        """The catalogue is made first (an empty database or nothing), the settings file last: until
        then the folder is not an archive. On failure the folder is left as it was (new or empty)."""
        from .catalogue.postgres import PostgresCatalogue

        existed = root.exists()
        root.mkdir(parents=True, exist_ok=True)
        try:
            FileStore(root).create_dirs()
            catalogue = PostgresCatalogue.open(url, create=True)
        except BaseException:
            for child in root.iterdir():  # the folder was new or empty: all of this is ours
                if child.is_dir():
                    remove_tree(child)
                else:
                    child.unlink()
            if not existed:
                root.rmdir()
            raise
        team.write(root, url)
        return cls(root, catalogue, agent)

    @classmethod
    def open(cls, root: Path | str, agent: str | None = None, create: bool = False, recover: bool = True) -> Archive:
        """Open the archive in folder ``root``: check the catalogue, finish or undo what a crash
        left, and collect warnings about where it lives. ``recover=False`` skips all of that, for
        a second connection (a worker thread's) to an archive already opened with recovery.
        A team archive (a ``team.json`` naming its PostgreSQL catalogue) opens the same way."""
        root = Path(root)
        if not root.is_dir() and not create:  # most often a network drive or a disk not connected
            raise StorageError(f"{root} is not an archive: the folder cannot be found. If it is on a network drive "
                               "or a removable disk, connect it and try again.")
        if team.is_team(root):
            return cls._open_team(root, agent, recover)
        if not (root / CATALOGUE).exists():
            if create:
                return cls.create(root, agent)
            unmounted = " If it is a network drive or a removable disk, connect it." if not any(root.iterdir()) else ""
            raise StorageError(f"{root} is not an archive (no {CATALOGUE}); create one with `heritage init`."
                               + unmounted)
        catalogue = root / CATALOGUE
        if not recover:
            return cls(root, SQLiteCatalogue.open(catalogue), agent)
        writable = health.probe_writable(root)
        problems = health.check_catalogue(catalogue, read_only=not writable)
        if problems:
            raise health.damaged_error(root, catalogue, problems, writable)
        archive = cls(root, SQLiteCatalogue.open(catalogue, read_only=not writable), agent)
        archive.read_only = not writable
        archive.warnings = health.location_warnings(root)
        archive._recover(writable)
        return archive

    @classmethod
    def _open_team(cls, root: Path, agent: str | None, recover: bool) -> Archive:
        """A team archive: the catalogue on its server, the files in the shared folder. The
        network-drive warning is about SQLite files and does not apply."""
        from .catalogue.postgres import PostgresCatalogue

        writable = health.probe_writable(root) if recover else True
        catalogue = PostgresCatalogue.open(team.read(root), read_only=not writable)
        # A team member's events carry their database user (the database sees to it too).
        archive = cls(root, catalogue, catalogue.agent_for(agent or default_agent()))
        if recover:
            archive._recover(writable)
        return archive

    @staticmethod
    def migrate(src: Path | str, dest: Path | str, catalogue: str | None = None,
                progress: Callable[[int, int, str], None] | None = None) -> Path:
        """Copy the archive in ``src`` into the new folder ``dest``: a team archive on the empty
        PostgreSQL database ``catalogue``, or a single-user archive without it (see ``archive.migrate``)."""
        from .migrate import migrate

        return migrate(Path(src), Path(dest), catalogue, progress)

    def _recover(self, writable: bool) -> None:
        self.read_only = not writable
        if writable:  # crash recovery writes; on read-only media it waits for a writable copy
            self.store.create_dirs()
            self.store.recover(self.catalogue.has_storage_dir)
            self._finish_deletions()
        else:
            self.warnings.append(READ_ONLY)
        self.warnings += health.lost_changes_warning(self)

    def close(self) -> None:
        self.store.close()
        self.catalogue.close()

    @property
    def db(self) -> Database:
        """The SQLite engine's sqlite-utils database, for tests that poke SQL directly."""
        assert isinstance(self.catalogue, SQLiteCatalogue)
        return self.catalogue.db

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def require_writable(self) -> None:
        """Raise StorageError before a write that would fail half-way on read-only media."""
        if self.read_only:
            raise StorageError(READ_ONLY)

    # -- vocabularies ----------------------------------------------------------------------
    def vocabulary(self, name: str) -> list[dict[str, str]]:
        """The terms of ``name``: value, English label ("" when none) and external id (a Getty
        AAT or Wikidata entity URI, "" when none; see ``set_vocabulary_external_id``)."""
        ids = self.catalogue.vocabulary_external_ids(name)
        return [{"value": v, "label_en": label or "", "external_id": ids.get(v, "")}
                for v, label in self.catalogue.vocabulary(name)]

    def vocabulary_names(self) -> list[str]:
        return self.catalogue.vocabulary_names()

    def lookup_vocabulary(self, name: str, value: str) -> str | None:
        return self.catalogue.vocabulary_value(name, fold(value.strip()))

    def add_vocabulary(self, name: str, value: str, label_en: str = "", external_id: str = "") -> Change:
        """Add a term (its value, usually Vietnamese, and English label) to vocabulary ``name``,
        logged as a ``vocabulary`` event in the same transaction. A term already there (accents
        and case aside) is refused, naming the one there, instead of being skipped in silence.
        ``external_id``: its Getty AAT or Wikidata id (see ``set_vocabulary_external_id``).
        No item changes, so the Change is empty."""
        value, label_en = unicodedata.normalize("NFC", value.strip()), unicodedata.normalize("NFC", label_en.strip())
        if not value:
            raise ValidationError("value", "is empty", "required")
        if name not in {f.vocabulary for f in ITEM_FIELDS if f.vocabulary} | {"capture_methods"}:
            raise ValidationError("vocabulary", f"unknown vocabulary {name!r}", "unknown_vocabulary",
                                  {"vocabulary": name})
        with self.catalogue.transaction():
            there = self.catalogue.vocabulary_value(name, fold(value))
            if there is not None:
                raise ValidationError("value", f"{there!r} is already in the vocabulary {name!r}", "term_exists",
                                      {"vocabulary": name, "value": there})
            self.catalogue.add_vocabulary(name, value, label_en, fold(value))
            self.log("vocabulary", field=name, new=value, detail={"vocabulary": name, "value": value,
                                                                  "label_en": label_en})
            if external_id.strip():
                self.set_vocabulary_external_id(name, value, external_id)
        return Change()

    # -- reading items (writing them: ItemEditing; their files: ItemFiles; deleting: ItemDeletion)
    def get(self, item_id: int, with_assets: bool = True) -> dict[str, Any]:
        row = self.catalogue.item_row(item_id)
        if row is None:
            raise NotFound(f"There is no item {item_id}")
        item = item_from_row(row)
        if with_assets:
            item["assets"] = self.assets(item_id)
        return item

    def find_by_accession(self, accession: str) -> int | None:
        return self.catalogue.item_id_for_accession(accession)

    def verify(self, progress: Callable[[int, int, str], None] | None = None,
               cancel: CancelToken | None = None) -> VerifyReport:
        """``Operations.verify``, refused while the archive folder cannot be reached: a disconnected
        shared drive would read as every file missing, and be logged so for the whole team."""
        self.store.require_reachable()
        return super().verify(progress, cancel)

    def count(self) -> int:
        return self.catalogue.count_items()

    def search_ids(self, query: SearchQuery | None = None) -> list[int]:
        """Ids of the matching items in display order (all of them: the caller pages)."""
        return self.catalogue.search_ids(query or SearchQuery())

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Display rows for ``ids`` (a visible page), in the order given."""
        return self.catalogue.rows(ids)

    def collections(self) -> list[str]:
        return self.catalogue.collections()

    # -- events ----------------------------------------------------------------------------
    def log(self, type_: str, item_id: int | None = None, asset_id: int | None = None,
            field: str | None = None, old: Any = None, new: Any = None,
            outcome: str = "success", detail: Any = None) -> None:
        """Append one event. Call inside the transaction of the change it records."""
        self.catalogue.log_event([now(), self.agent, type_, item_id, asset_id, field, event_value(old),
                                  event_value(new), outcome, event_value(detail)])

    def record_event(self, type_: str, **kwargs: Any) -> None:
        """Log an event on its own (export, fixity check…). On read-only media, where reading
        and exporting still work, such events cannot be kept and are skipped."""
        if self.read_only:
            return
        with self.catalogue.transaction():
            self.log(type_, **kwargs)

    def history(self, item_id: int) -> list[dict[str, Any]]:
        return self.catalogue.history(item_id)


__all__ = ["Archive", "Change", "ChangeEvent", "SearchQuery", "ITEM_FIELD"]
