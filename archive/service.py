"""``Archive``: the one entry point to a catalogue and its file store.

Everything the app does to data goes through here; it knows nothing of Qt. Each instance
owns one SQLite connection: open one per thread.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from . import db as dbmod
from . import health
from .errors import EditConflict, NotFound, StorageError, ValidationError
from .fields import ITEM_FIELD, ITEM_FIELDS
from .records import (
    asset_from_row,
    event_value,
    item_from_row,
    now,
    row_values,
    search_text,
    sort_title,
    to_row,
)
from .search import RANK_LIMIT, SearchQuery, asset_summary_sql, rows_sql, search_sql
from .store import CancelToken, FileStore
from .text import fold
from .validation import check_item, clean_item_changes

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


class Archive:
    def __init__(self, root: Path, database: Database, agent: str | None = None):
        self.root = root
        self.db = database
        self.store = FileStore(root)
        self.agent = agent or default_agent()
        self.warnings: list[str] = []  # about where the archive lives; the app shows them
        self.read_only = False  # on read-only media: browse, search, view, export elsewhere

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | str, agent: str | None = None) -> Archive:
        root = Path(root)
        if (root / CATALOGUE).exists():
            raise StorageError(f"{root} already holds an archive")
        if root.exists() and any(root.iterdir()):
            raise StorageError(f"{root} is not empty; choose an empty or new folder for a new archive")
        root.mkdir(parents=True, exist_ok=True)
        FileStore(root).create_dirs()
        return cls(root, dbmod.connect(root / CATALOGUE, create=True), agent)

    @classmethod
    def open(cls, root: Path | str, agent: str | None = None, create: bool = False) -> Archive:
        root = Path(root)
        if not (root / CATALOGUE).exists():
            if create:
                return cls.create(root, agent)
            raise StorageError(f"{root} is not an archive (no {CATALOGUE}); create one with `heritage init`")
        catalogue = root / CATALOGUE
        writable = health.probe_writable(root)
        problems = health.check_catalogue(catalogue, read_only=not writable)
        if problems:
            raise health.damaged_error(root, catalogue, problems, writable)
        archive = cls(root, dbmod.connect(catalogue, read_only=not writable), agent)
        archive.read_only = not writable
        archive.warnings = health.location_warnings(root)
        if writable:  # crash recovery writes; on read-only media it waits for a writable copy
            archive.store.create_dirs()
            archive.store.recover(archive._is_committed)
            archive._finish_deletions()
        else:
            archive.warnings.append(dbmod.READ_ONLY)
        archive.warnings += health.lost_changes_warning(archive)
        return archive

    def close(self) -> None:
        self.store.close()
        self.db.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def require_writable(self) -> None:
        """Raise StorageError before a write that would fail half-way on read-only media."""
        if self.read_only:
            raise StorageError(dbmod.READ_ONLY)

    def _is_committed(self, storage_dir: str) -> bool:
        return self.db.execute("SELECT 1 FROM assets WHERE storage_dir = ?", [storage_dir]).fetchone() is not None

    # -- vocabularies ----------------------------------------------------------------------
    def vocabulary(self, name: str) -> list[dict[str, str]]:
        rows = self.db.execute(
            "SELECT value, label_en FROM vocabulary WHERE vocabulary = ? ORDER BY folded", [name]
        ).fetchall()
        return [{"value": v, "label_en": label or ""} for v, label in rows]

    def vocabulary_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT vocabulary FROM vocabulary ORDER BY 1")]

    def lookup_vocabulary(self, name: str, value: str) -> str | None:
        row = self.db.execute(
            "SELECT value FROM vocabulary WHERE vocabulary = ? AND folded = ?", [name, fold(value.strip())]
        ).fetchone()
        return row[0] if row else None

    def add_vocabulary(self, name: str, value: str, label_en: str = "") -> None:
        value = value.strip()
        if not value:
            raise ValidationError("value", "is empty")
        if name not in {f.vocabulary for f in ITEM_FIELDS if f.vocabulary} | {"capture_methods"}:
            raise ValidationError("vocabulary", f"unknown vocabulary {name!r}")
        with dbmod.write(self.db):
            self.db.execute(
                "INSERT OR IGNORE INTO vocabulary (vocabulary, value, label_en, folded) VALUES (?,?,?,?)",
                [name, value, label_en, fold(value)],
            )

    # -- items -----------------------------------------------------------------------------
    def prepare_item(self, values: Mapping[str, Any], check_accession: bool = True) -> dict[str, Any]:
        """Validate a new item's values; returns the full cleaned item (not saved)."""
        kind = str(values.get("kind") or "other").strip().lower()
        cleaned = clean_item_changes({**values, "kind": kind}, kind, self.lookup_vocabulary)
        item: dict[str, Any] = {**_EMPTY_ITEM, **{name: [] for name in _LIST_NAMES}, **cleaned}
        item["status"] = item["status"] or "draft"
        accession = item["accession"]
        if accession and check_accession:
            self._check_accession_free(accession)
        item["accession"] = accession or "assigned on save"
        check_item(item)
        item["accession"] = accession
        self._check_links(item)
        return item

    def _check_accession_free(self, accession: str, item_id: int | None = None) -> None:
        row = self.db.execute("SELECT id FROM items WHERE accession = ?", [accession]).fetchone()
        if row is not None and row[0] != item_id:
            raise ValidationError("accession", f"{accession!r} is already used by item {row[0]}")

    def add_item(self, values: Mapping[str, Any]) -> int:
        item = self.prepare_item(values)
        with dbmod.write(self.db):
            item_id = self._insert_item(item)
            self.log("create", item_id=item_id, detail={"accession": item["accession"]})
        return item_id

    def add_items(self, records: Iterable[Mapping[str, Any]], detail: str = "bulk") -> list[int]:
        """Create many items in one transaction (CSV import, generated archives)."""
        records = list(records)
        items = [self.prepare_item(r, check_accession=False) for r in records]
        # Only the columns the records fill (an all-NULL column is the default anyway).
        filled = set().union(*(r.keys() for r in records), {"kind", "status", "accession"})
        columns = [f.name for f in ITEM_FIELDS if f.name in filled]
        stamp = now()
        with dbmod.write(self.db):
            first = self._next_id()
            ids = list(range(first, first + len(items)))
            self._assign_accessions(items, ids)
            rows = [[i, stamp, stamp, sort_title(item), *row_values(item, columns)]
                    for i, item in zip(ids, items, strict=True)]
            names = ["id", "created_at", "updated_at", "sort_title", *columns]
            self.db.conn.executemany(
                f"INSERT INTO items ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows)
            self.db.conn.executemany(
                "INSERT INTO items_fts (rowid, text) VALUES (?, ?)",
                [(i, search_text(item)) for i, item in zip(ids, items, strict=True)])
            self.db.conn.executemany(
                "INSERT INTO events (at, agent, type, item_id, detail) VALUES (?, ?, 'create', ?, ?)",
                [(stamp, self.agent, i, detail) for i in ids])
        return ids

    def _assign_accessions(self, items: list[dict[str, Any]], ids: list[int]) -> None:
        given = [item["accession"] for item in items if item.get("accession")]
        if len(set(given)) != len(given):
            twice = next(a for a in given if given.count(a) > 1)
            raise ValidationError("accession", f"{twice!r} appears twice")
        taken = {r[0] for r in self.db.execute(
            "SELECT accession FROM items WHERE accession IN (SELECT value FROM json_each(?))", [json.dumps(given)])}
        if taken:
            raise ValidationError("accession", f"{sorted(taken)[0]!r} is already used")
        for item, item_id in zip(items, ids, strict=True):
            if not item.get("accession"):
                item["accession"] = self._next_accession(item_id)

    def _insert_item(self, item: dict[str, Any]) -> int:
        """Insert a prepared item (inside a write transaction); assigns an accession
        number when it has none."""
        if not item.get("accession"):
            item["accession"] = self._next_accession()
        stamp = now()
        row = {**to_row(item), "created_at": stamp, "updated_at": stamp, "sort_title": sort_title(item)}
        cursor = self.db.execute(
            f"INSERT INTO items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
        item_id = int(cursor.lastrowid or 0)
        self.db.execute("INSERT INTO items_fts (rowid, text) VALUES (?, ?)", [item_id, search_text(item)])
        return item_id

    def _next_id(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()[0])

    def _next_accession(self, start: int | None = None) -> str:
        n = start or self._next_id()
        while True:
            accession = f"HUE-{n:06d}"
            if not self.db.execute("SELECT 1 FROM items WHERE accession = ?", [accession]).fetchone():
                return accession
            n += 1

    def _check_links(self, item: Mapping[str, Any]) -> None:
        vessel = item.get("serving_vessel")
        if vessel is None:
            return
        row = self.db.execute("SELECT kind FROM items WHERE id = ?", [vessel]).fetchone()
        if row is None:
            raise ValidationError("serving_vessel", f"there is no item {vessel}")
        if row[0] != "relic":
            raise ValidationError("serving_vessel", f"item {vessel} is not a relic")
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
        with dbmod.write(self.db):
            current = self.get(item_id, with_assets=False)
            merged, diff = self._merge_changes(item_id, current, changes)
            if expected_version is not None and current["version"] != expected_version:
                self._check_conflicts(item_id, current, diff, expected_version)
            if not diff:
                return Change()
            version = current["version"] + 1
            row = to_row({k: new for k, (_old, new) in diff.items()})
            row.update(updated_at=now(), sort_title=sort_title(merged), version=version)
            sets = ", ".join(f"{k} = ?" for k in row)
            self.db.execute(f"UPDATE items SET {sets} WHERE id = ?", [*row.values(), item_id])
            self.db.execute("UPDATE items_fts SET text = ? WHERE rowid = ?", [search_text(merged), item_id])
            for name, (old, new) in diff.items():
                self.log("edit", item_id=item_id, field=name, old=old, new=new, detail={"version": version})
        return Change([item_id], diff)

    def _merge_changes(self, item_id: int, current: dict[str, Any],
                       changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
        """The item with ``changes`` applied and validated, and the fields that really change."""
        kind = str(changes.get("kind") or current["kind"]).strip().lower()
        cleaned = clean_item_changes(changes, kind, self.lookup_vocabulary)
        merged = {**current, **cleaned}
        check_item(merged)
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
        saved = self.db.execute(
            "SELECT field, agent, at FROM events WHERE item_id = ? AND type = 'edit' AND field IS NOT NULL"
            " AND (CASE WHEN json_valid(detail) THEN json_extract(detail, '$.version') END) > ? ORDER BY id",
            [item_id, since]).fetchall()
        last = {name: (agent, at) for name, agent, at in saved}  # the newest save of each field
        conflicts = [{"field": name, "theirs": current[name], "yours": new, "agent": last[name][0],
                      "at": last[name][1]} for name, (_old, new) in diff.items() if name in last]
        if conflicts:
            raise EditConflict(item_id, conflicts, current["version"])

    def get(self, item_id: int, with_assets: bool = True) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no item {item_id}")
        columns = [d[0] for d in self.db.execute("SELECT * FROM items LIMIT 0").description]
        item = item_from_row(dict(zip(columns, row, strict=True)))
        if with_assets:
            item["assets"] = self.assets(item_id)
        return item

    def find_by_accession(self, accession: str) -> int | None:
        row = self.db.execute("SELECT id FROM items WHERE accession = ?", [accession]).fetchone()
        return int(row[0]) if row else None

    def assets(self, item_id: int) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM assets WHERE item_id = ? ORDER BY id", [item_id])
        assets = [asset_from_row(r) for r in rows]
        for asset in assets:
            asset["files"] = list(self.db.query(
                "SELECT path, sha256, bytes FROM files WHERE asset_id = ? ORDER BY id", [asset["id"]]))
        return assets

    def master_path(self, item_id: int) -> Path:
        """Path of the item's current master scan: the newest master asset's main file."""
        row = self.db.execute(
            "SELECT storage_dir, main_file FROM assets WHERE item_id = ? ORDER BY role != 'master', id DESC LIMIT 1",
            [item_id],
        ).fetchone()
        if row is None:
            raise NotFound(f"Item {item_id} has no 3D model")
        return self.store.path(row[0], row[1])

    def asset_path(self, asset: Mapping[str, Any]) -> Path:
        return self.store.path(asset["storage_dir"], asset["main_file"])

    # -- derived files -----------------------------------------------------------------------
    def thumbnail_path(self, item_id: int) -> Path | None:
        """The item's thumbnail PNG if one has been rendered (``derived/thumbnails``)."""
        row = self.db.execute(
            "SELECT uid FROM assets WHERE item_id = ? ORDER BY role != 'master', id DESC LIMIT 1", [item_id]
        ).fetchone()
        if row is None:
            return None
        path = self.store.derived / "thumbnails" / f"{row[0]}.png"
        return path if path.exists() else None

    def ensure_thumbnails(self, render: Callable[[Path], bytes], item_ids: Iterable[int] | None = None,
                          cancel: CancelToken | None = None) -> int:
        """Render missing thumbnails with ``render(master_path) -> PNG bytes`` (the app passes
        the viewer's renderer; the archive never imports it). Returns how many were made."""
        made = 0
        if self.read_only:
            return made  # nowhere to keep them; the app shows none
        for item_id in item_ids if item_ids is not None else self.search_ids():
            if cancel:
                cancel.check()
            row = self.db.execute(
                "SELECT uid, storage_dir, main_file FROM assets WHERE item_id = ?"
                " ORDER BY role != 'master', id DESC LIMIT 1", [item_id]).fetchone()
            if row is None:
                continue
            target = self.store.derived / "thumbnails" / f"{row[0]}.png"
            if target.exists():
                continue
            png = render(self.store.path(row[1], row[2]))
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(png)
            tmp.replace(target)
            made += 1
        return made

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM items").fetchone()[0])

    def search_ids(self, query: SearchQuery | None = None) -> list[int]:
        """Ids of the matching items in display order (all of them: the caller pages)."""
        query = query or SearchQuery()
        by_relevance = bool(query.text) and query.sort == "relevance"
        ids = self._ids(*search_sql(query, ranked=not by_relevance))
        if by_relevance and 1 < len(ids) <= RANK_LIMIT:
            ids = self._ids(*search_sql(query, ranked=True))
        return ids

    def _ids(self, sql: str, params: list[Any]) -> list[int]:
        # One string from SQLite parsed by numpy is ~3× faster than a row per id.
        text = self.db.execute(f"SELECT group_concat(id) FROM ({sql})", params).fetchone()[0]
        return np.fromstring(text, dtype=np.int64, sep=",").tolist() if text else []

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Display rows for ``ids`` (a visible page), in the order given."""
        if not ids:
            return []
        sql, params = rows_sql(ids)
        cursor = self.db.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        summary = {item: (bool(textured), count) for item, textured, count in
                   self.db.execute(*asset_summary_sql(ids))}
        by_id = {}
        for values in cursor:
            row = dict(zip(columns, values, strict=True))
            for name in ("collections", "materials"):
                row[name] = json.loads(row[name]) if row[name] and row[name] != "[]" else []
            row["title"] = row["title_vi"] or row["title_en"] or row["accession"]
            row["textured"], row["asset_count"] = summary.get(row["id"], (False, 0))
            by_id[row["id"]] = row
        return [by_id[i] for i in ids if i in by_id]

    def collections(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT j.value FROM items, json_each(items.collections) j ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    # -- events ----------------------------------------------------------------------------
    def log(self, type_: str, item_id: int | None = None, asset_id: int | None = None,
            field: str | None = None, old: Any = None, new: Any = None,
            outcome: str = "success", detail: Any = None) -> None:
        """Append one event. Call inside the transaction of the change it records."""
        self.db.execute(
            "INSERT INTO events (at, agent, type, item_id, asset_id, field, old_value, new_value, outcome, detail)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [now(), self.agent, type_, item_id, asset_id, field, event_value(old), event_value(new),
             outcome, event_value(detail)],
        )

    def record_event(self, type_: str, **kwargs: Any) -> None:
        """Log an event on its own (export, fixity check…). On read-only media, where reading
        and exporting still work, such events cannot be kept and are skipped."""
        if self.read_only:
            return
        with dbmod.write(self.db):
            self.log(type_, **kwargs)

    def history(self, item_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM events WHERE item_id = ? ORDER BY id", [item_id]))

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
            with dbmod.write(self.db):
                item = self.get(item_id)
                label = self.store.free_label(f"{now().replace(':', '')}-{item['accession']}".replace("/", "_"))
                target = self.store.begin_withdrawal(label, item_id, item)
                self._delete_rows(item, label)
        except BaseException:
            if label is not None:  # rolled back by now: the files go back where the rows say
                self.store.undo_withdrawal(label)
            raise
        self.store.end_withdrawal(label)
        return target

    def _delete_rows(self, item: dict[str, Any], label: str) -> None:
        item_id = item["id"]
        for asset in item["assets"]:
            self.db.execute("DELETE FROM files WHERE asset_id = ?", [asset["id"]])
        self.db.execute("DELETE FROM assets WHERE item_id = ?", [item_id])
        for (linked,) in self.db.execute("SELECT id FROM items WHERE serving_vessel = ?", [item_id]).fetchall():
            version = self.db.execute("UPDATE items SET serving_vessel = NULL, version = version + 1 WHERE id = ?"
                                      " RETURNING version", [linked]).fetchone()[0]
            self.log("edit", item_id=linked, field="serving_vessel", old=item_id, new=None,
                     detail={"version": version})
        self.db.execute("DELETE FROM items_fts WHERE rowid = ?", [item_id])
        self.db.execute("DELETE FROM items WHERE id = ?", [item_id])
        self.log("delete", item_id=item_id, detail={"accession": item["accession"], "moved_to": f"deleted/{label}"})

    def _finish_deletions(self) -> None:
        """At open: complete a deletion whose commit happened, undo one whose commit did not.
        Under the write lock, so a deletion still running in another process is waited for."""
        if not self.store.pending_withdrawals():
            return
        with dbmod.write(self.db):
            for label, item_id in self.store.pending_withdrawals():
                if item_id is not None and self.db.execute(
                        "SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is None:
                    self.store.end_withdrawal(label)
                else:
                    self.store.undo_withdrawal(label)


__all__ = ["Archive", "Change", "SearchQuery", "ITEM_FIELD"]
