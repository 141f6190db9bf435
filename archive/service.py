"""``Archive``: the one entry point to a catalogue and its file store.

Everything the app does to data goes through here; it knows nothing of Qt. Each instance
owns one catalogue connection (``archive.catalogue``: the only place that runs SQL): open
one per thread. Writes return a ``Change`` saying what changed.
"""

from __future__ import annotations

import gc
import getpass
import os
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from platform_support import remove_tree

from . import health, team
from .access import TeamAccess
from .catalogue import READ_ONLY, Catalogue, SQLiteCatalogue
from .changes import ChangeEvent, ChangeFeed
from .comparisons import Comparisons
from .errors import ArchiveError, EditConflict, NotFound, SaveOutcomeUnknown, StorageError, ValidationError
from .fields import ITEM_FIELD, ITEM_FIELDS
from .labels import item_label
from .links import make_waiting_links
from .operations import Operations
from .records import (
    asset_from_row,
    event_value,
    item_from_row,
    now,
    row_maker,
    search_text,
    sort_title,
    to_row,
)
from .reports import VerifyReport
from .research import Research
from .search import SearchQuery
from .store import CancelToken, FileStore
from .text import fold
from .validation import CleanMemo, VocabLookup, checked_item, clean_asset_changes

CATALOGUE = "catalogue.sqlite"
_EMPTY_ITEM: dict[str, Any] = {f.name: None for f in ITEM_FIELDS}
_LIST_NAMES = tuple(f.name for f in ITEM_FIELDS if f.type == "list")
ROW_COLUMNS = ("id", "accession", "kind", "title_vi", "title_en", "status", "period", "collections",
               "culinary_line", "materials", "updated_at")


@dataclass
class Change:
    """What a write changed, so a view refreshes only that (Anki's OpChanges)."""

    item_ids: list[int] = field(default_factory=list)
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def default_agent() -> str:
    return os.environ.get("HERITAGE_USER") or getpass.getuser()


class Archive(Operations, ChangeFeed, Research, Comparisons, TeamAccess):
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

    # -- items -----------------------------------------------------------------------------
    def prepare_item(self, values: Mapping[str, Any], check_accession: bool = True,
                     memo: CleanMemo | None = None, vocab: VocabLookup | None = None) -> dict[str, Any]:
        """Validate a new item's values; returns the full cleaned item (not saved). A batch
        (``add_items``) passes its ``memo`` and vocabulary lookup so that repeated values are
        cleaned and looked up once."""
        kind = str(values.get("kind") or "other").strip().lower()
        blank = _EMPTY_ITEM.copy()
        for name in _LIST_NAMES:
            blank[name] = []
        values = {**values, "kind": kind, "status": values.get("status") or "draft"}
        # Every problem of the values and of the rules across fields comes back at once.
        _cleaned, item = checked_item(values, kind, vocab or self.lookup_vocabulary, base=blank, new=True, memo=memo)
        if item["accession"] and check_accession:
            self._check_accession_free(item["accession"])
        self._check_links(item)
        return item

    def _batch_vocabulary(self) -> VocabLookup:
        """``lookup_vocabulary`` asking the catalogue once per distinct term of a batch."""
        found: dict[tuple[str, str], str | None] = {}

        def lookup(name: str, value: str) -> str | None:
            key = (name, fold(value.strip()))  # as lookup_vocabulary asks: "Men lam" is "men lam"
            if key not in found:
                found[key] = self.catalogue.vocabulary_value(*key)
            return found[key]

        return lookup

    def _check_accession_free(self, accession: str, item_id: int | None = None) -> None:
        holder = self.catalogue.item_id_for_accession(accession)
        if holder is not None and holder != item_id:
            raise ValidationError("accession", f"{accession!r} is already used by {item_label(self, holder)}")

    def add_item(self, values: Mapping[str, Any]) -> int:
        item = self.prepare_item(values)
        with self.catalogue.transaction():
            item_id = self.insert_prepared_item(item)
            self.log("create", item_id=item_id, detail={"accession": item["accession"]})
        return item_id

    def add_items(self, records: Iterable[Mapping[str, Any]], detail: str = "bulk") -> list[int]:
        """Create many items in one transaction (CSV import, generated archives)."""
        with _cycle_collection_paused():
            return self._add_items(list(records), detail)

    def _add_items(self, records: list[Mapping[str, Any]], detail: str) -> list[int]:
        memo, vocab = CleanMemo(), self._batch_vocabulary()
        items = [self.prepare_item(r, check_accession=False, memo=memo, vocab=vocab) for r in records]
        # Only the columns the records fill (an all-NULL column is the default anyway).
        filled = set().union(*(r.keys() for r in records), {"kind", "status", "accession"})
        columns = [f.name for f in ITEM_FIELDS if f.name in filled]
        stamp = now()
        with self.catalogue.transaction():
            first = self.catalogue.next_item_id()
            ids = list(range(first, first + len(items)))
            self._assign_accessions(items, ids)
            # generators: the rows are converted as the catalogue writes them, so on a server the
            # conversion overlaps the server's indexing instead of coming before it
            values = row_maker(columns)
            rows = ([i, stamp, stamp, sort_title(item), *values(item)]
                    for i, item in zip(ids, items, strict=True))
            names = ["id", "created_at", "updated_at", "sort_title", *columns]
            texts = ((i, search_text(item)) for i, item in zip(ids, items, strict=True))
            self.catalogue.insert_items(names, rows, texts)
            self.catalogue.log_events((stamp, self.agent, "create", i, None, None, None, None, "success", detail)
                                      for i in ids)
            if self.catalogue.has_pending_links():
                for item_id, item in zip(ids, items, strict=True):
                    make_waiting_links(self, item_id, item["accession"])
        return ids

    def _assign_accessions(self, items: list[dict[str, Any]], ids: list[int]) -> None:
        given = [item["accession"] for item in items if item.get("accession")]
        if len(set(given)) != len(given):
            twice = next(a for a in given if given.count(a) > 1)
            raise ValidationError("accession", f"{twice!r} appears twice")
        taken = self.catalogue.accessions_taken(given)
        if taken:
            raise ValidationError("accession", f"{sorted(taken)[0]!r} is already used")
        for item, item_id in zip(items, ids, strict=True):
            if not item.get("accession"):
                item["accession"] = self._next_accession(item_id)

    def insert_prepared_item(self, item: dict[str, Any], created_at: str | None = None,
                             updated_at: str | None = None) -> int:
        """Insert an item from ``prepare_item`` inside the caller's write transaction (writers
        such as import log their own event); assigns an accession number when it has none.
        ``created_at``/``updated_at`` keep the dates of a record carried from another archive."""
        if not item.get("accession"):
            item["accession"] = self._next_accession()
        stamp = now()
        row = {**to_row(item), "created_at": created_at or stamp, "updated_at": updated_at or stamp,
               "sort_title": sort_title(item)}
        item_id = self.catalogue.insert_item(row, search_text(item))
        make_waiting_links(self, item_id, item["accession"])  # a dish may have waited for this vessel
        return item_id

    def _next_accession(self, start: int | None = None) -> str:
        n = start or self.catalogue.next_item_id()
        while True:
            accession = f"HUE-{n:06d}"
            if self.catalogue.item_id_for_accession(accession) is None:
                return accession
            n += 1

    def _check_links(self, item: Mapping[str, Any]) -> None:
        vessel = item.get("serving_vessel")
        if vessel is None:
            return
        kind = self.catalogue.item_kind(vessel)
        if kind is None:
            raise ValidationError("serving_vessel", f"there is no item {vessel}")
        if kind != "relic":
            raise ValidationError("serving_vessel", f"{item_label(self, vessel)} is not a relic")
        if item.get("id") == vessel:
            raise ValidationError("serving_vessel", "an item cannot be its own serving vessel")

    def update(self, item_id: int, changes: Mapping[str, Any], expected_version: int | None = None) -> Change:
        """Validate and save field changes; each changed field is logged with old and new value.

        The item is read, merged and written inside one write transaction, so a save made
        meanwhile by another window or process is never overwritten by a stale copy, and the
        search text is built from the merged row. ``expected_version`` is the version the
        caller loaded: a field someone else saved since then raises ``EditConflict`` (nothing
        is saved), while their saves to other fields are kept. Without it the last writer
        wins (the CLI reads and writes at once)."""
        save, committing = uuid.uuid4().hex, False  # ``save`` names this save's events (see _settle_lost_save)
        try:
            with self.catalogue.transaction():
                current = self.get(item_id, with_assets=False)
                merged, diff = self._merge_changes(item_id, current, changes)
                if expected_version is not None and current["version"] != expected_version:
                    self._check_conflicts(item_id, current, diff, expected_version)
                if not diff:
                    return Change()
                version = current["version"] + 1
                row = to_row({k: new for k, (_old, new) in diff.items()})
                row.update(updated_at=now(), sort_title=sort_title(merged), version=version)
                self.catalogue.update_item(item_id, row, search_text(merged))
                for name, (old, new) in diff.items():
                    self.log("edit", item_id=item_id, field=name, old=old, new=new,
                             detail={"version": version, "save": save})
                committing = True  # a failure from here on is the COMMIT's: it may have happened
        except StorageError as exc:
            if not committing:
                raise
            self._settle_lost_save(item_id, save, exc)
        return Change([item_id], diff)

    def _settle_lost_save(self, item_id: int, save: str, lost: StorageError) -> None:
        """The connection was lost during a save's COMMIT (a team archive's server restarted, the
        network dropped): the server may have committed it before its answer was lost. Asked again
        on a new connection, the save's events say which: return if it was saved, raise if not,
        and say so plainly when the server cannot be asked yet (never a guess)."""
        try:
            saved = any(save in str(event.get("detail") or "") for event in self.catalogue.history(item_id))
        except ArchiveError as exc:
            raise SaveOutcomeUnknown(
                "The connection to the catalogue was lost while the change was being saved, and the catalogue "
                f"cannot be asked yet whether it was saved ({exc}). Your edits are still in the form: save again "
                "when the catalogue answers; that saves them, or finds them already saved.") from lost
        if not saved:
            raise StorageError("The connection to the catalogue was lost while the change was being saved; asked "
                               "again on a new connection, the catalogue does not have it: the change was not "
                               "saved. Save again.") from lost

    def _merge_changes(self, item_id: int, current: dict[str, Any],
                       changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
        """The item with ``changes`` applied and validated, and the fields that really change."""
        kind = str(changes.get("kind") or current["kind"]).strip().lower()
        cleaned, merged = checked_item(changes, kind, self.lookup_vocabulary, base=current)
        if "accession" in cleaned:
            self._check_accession_free(merged["accession"], item_id)
        self._check_links(merged)
        for f in ITEM_FIELDS:  # fields of the old kind cannot linger on a changed kind
            if kind not in f.kinds and merged.get(f.name) not in (None, [], False):
                raise ValidationError(f.name, f"does not apply to items of kind {kind}; clear it first")
        return merged, {k: (current[k], v) for k, v in cleaned.items() if current[k] != v}

    def _check_conflicts(self, item_id: int, current: dict[str, Any], diff: Mapping[str, tuple[Any, Any]],
                         since: int) -> None:
        """Raise EditConflict if a field in ``diff`` was saved by someone else after version ``since``."""
        saved = self.catalogue.field_saves_since(item_id, since)
        last = {name: (agent, at) for name, agent, at in saved}  # the newest save of each field
        conflicts = [{"field": name, "theirs": current[name], "yours": new, "agent": last[name][0],
                      "at": last[name][1]} for name, (_old, new) in diff.items() if name in last]
        if conflicts:
            raise EditConflict(item_id, conflicts, current["version"])

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

    def assets(self, item_id: int) -> list[dict[str, Any]]:
        assets = [asset_from_row(r) for r in self.catalogue.asset_rows(item_id)]
        for asset in assets:
            asset["files"] = self.catalogue.file_rows(asset["id"])
        return assets

    def asset(self, asset_id: int) -> dict[str, Any]:
        row = self.catalogue.asset_row(asset_id)
        if row is None:
            raise NotFound(f"There is no asset {asset_id}")
        asset = asset_from_row(row)
        asset["files"] = self.catalogue.file_rows(asset_id)
        return asset

    def update_asset(self, asset_id: int, changes: Mapping[str, Any]) -> Change:
        """Correct an asset's descriptive fields (units, up axis, capture details…) after import.

        Only catalogue values change: the stored files are never touched, so their hashes and
        ``verify`` stay clean. Each changed field is an ``edit`` event with old and new value and
        the asset's id; the item's version goes up so open editors notice."""
        cleaned = clean_asset_changes(changes, self.lookup_vocabulary)
        with self.catalogue.transaction():
            current = self.catalogue.asset_row(asset_id)
            if current is None:
                raise NotFound(f"There is no asset {asset_id}")
            item_id = int(current["item_id"])
            diff = {k: (current[k], v) for k, v in cleaned.items() if current[k] != v}
            if not diff:
                return Change()
            self.catalogue.update_asset(asset_id, {k: new for k, (_old, new) in diff.items()})
            version = int(self.get(item_id, with_assets=False)["version"]) + 1
            self.catalogue.update_item(item_id, {"version": version, "updated_at": now()})
            for name, (old, new) in diff.items():
                self.log("edit", item_id=item_id, asset_id=asset_id, field=name, old=old, new=new,
                         detail={"version": version})
            if "units" in diff:
                self.records_follow_units(asset_id, diff["units"][1])
        return Change([item_id], diff)

    def master_path(self, item_id: int) -> Path:
        """Path of the item's current master scan: the newest master asset's main file."""
        master = self.catalogue.current_master(item_id)
        if master is None:
            raise NotFound(f"Item {item_id} has no 3D model")
        uid, storage_dir, main_file = master
        self.store.require_reachable()  # the shared folder went away: say so, not "no such file"
        return self._master_file(item_id, uid, storage_dir, main_file)

    def asset_path(self, asset: Mapping[str, Any]) -> Path:
        if "files" in asset:
            return self.store.asset_file(asset, asset["main_file"])
        return self.store.path(asset["storage_dir"], asset["main_file"])

    def _master_file(self, item_id: int, uid: str, storage_dir: str, main_file: str) -> Path:
        """The stored master file (its stored name depends on all the asset's recorded paths)."""
        asset = next((a for a in self.assets(item_id) if a.get("uid") == uid), None)
        names = [f["path"] for f in asset.get("files") or []] if asset else None
        return self.store.path(storage_dir, main_file, names)

    # -- derived files -----------------------------------------------------------------------
    def thumbnail_path(self, item_id: int) -> Path | None:
        """The item's thumbnail PNG if one has been rendered (``derived/thumbnails``)."""
        master = self.catalogue.current_master(item_id)
        if master is None:
            return None
        path = self.store.derived / "thumbnails" / f"{master[0]}.png"
        return path if path.exists() else None

    def ensure_thumbnails(self, render: Callable[[Path], bytes], item_ids: Iterable[int] | None = None,
                          cancel: CancelToken | None = None) -> int:
        """Render missing thumbnails with ``render(master_path) -> PNG bytes`` (the app passes
        the viewer's renderer; the archive never imports it). Returns how many were made."""
        made = 0
        if self.read_only or not self.store.objects.is_dir():
            return made  # nowhere to keep them, or the shared folder went away; the app shows none
        for item_id in item_ids if item_ids is not None else self.search_ids():
            if cancel:
                cancel.check()
            master = self.catalogue.current_master(item_id)
            if master is None:
                continue
            uid, storage_dir, main_file = master
            target = self.store.derived / "thumbnails" / f"{uid}.png"
            if target.exists():
                continue
            png = render(self.readable_master(item_id))  # side files resolve (archive.readable)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{uid}.{uuid.uuid4().hex}.tmp")  # another PC may write the same one
            tmp.write_bytes(png)
            tmp.replace(target)
            made += 1
        return made

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

    # -- deleting --------------------------------------------------------------------------
    def delete(self, item_id: int, confirmed: bool) -> Path:
        """Move an item out of the catalogue and its files out of the store into
        ``deleted/<label>/`` (kept, with ``item.json``), after explicit confirmation.

        The record copy is written and the files moved first, under the write lock, and the
        catalogue commits last: a crash at any step is finished or undone at the next open
        (see ``FileStore.begin_withdrawal``), never leaving files nobody tracks."""
        if not confirmed:
            raise ValidationError("confirm", "deleting an item needs confirmation (--yes)")
        label: str | None = None
        try:
            with self.catalogue.transaction():
                item = self.get(item_id)
                item["records"] = self.records(item_id)  # kept with the item's copy in deleted/
                item["comparisons"] = self.comparisons(item_id)
                label = self.store.free_label(f"{now().replace(':', '')}-{item['accession']}".replace("/", "_"))
                target = self.store.begin_withdrawal(label, item_id, item)
                self._delete_rows(item, label)
        except BaseException:
            if label is not None:  # rolled back by now: the files go back where the rows say
                self.store.undo_withdrawal(label)
            raise
        self.store.end_withdrawal(label)
        self.drop_comparison_files(item["comparisons"], item_id)  # derived files of the rows that went
        return target

    def _delete_rows(self, item: dict[str, Any], label: str) -> None:
        item_id = item["id"]
        for linked, version in self.catalogue.unlink_serving_vessel(item_id):
            self.log("edit", item_id=linked, field="serving_vessel", old=item_id, new=None,
                     detail={"version": version})
        self.catalogue.delete_item(item_id)
        self.log("delete", item_id=item_id, detail={"accession": item["accession"], "moved_to": f"deleted/{label}"})

    def _finish_deletions(self) -> None:
        """At open: complete a deletion whose commit happened, undo one whose commit did not.
        Under the write lock, so a deletion still running in another process is waited for."""
        if not self.store.pending_withdrawals():
            return
        with self.catalogue.transaction():
            for label, item_id in self.store.pending_withdrawals():
                if item_id is not None and not self.catalogue.item_exists(item_id):
                    self.store.end_withdrawal(label)
                else:
                    self.store.undo_withdrawal(label)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector paused while a batch is built: 100,000 new items are millions of
    new dicts, lists and tuples, and each collection walks every one still alive (measured: 1.2 to
    1.9 s of the 2.6 to 3.3 s that validating 100,000 items takes). The batch makes no cycles;
    memory is freed by reference counts as before, and collection resumes as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["Archive", "Change", "ChangeEvent", "SearchQuery", "ITEM_FIELD"]
