"""Writing items: adding one or a batch, editing an item's or an asset's fields. ``ItemEditing``
is mixed into ``archive.Archive`` (the one door); every write goes through the catalogue in one
transaction with its events and returns a ``Change``."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .errors import ArchiveError, EditConflict, NotFound, SaveOutcomeUnknown, StorageError, ValidationError
from .fields import ITEM_FIELDS
from .labels import item_label
from .links import make_waiting_links
from .records import now, row_maker, search_text, sort_title, to_row
from .text import fold
from .validation import CleanMemo, VocabLookup, checked_item, clean_asset_changes

if TYPE_CHECKING:
    from .service import Archive

_EMPTY_ITEM: dict[str, Any] = {f.name: None for f in ITEM_FIELDS}
_LIST_NAMES = tuple(f.name for f in ITEM_FIELDS if f.type == "list")


@dataclass
class Change:
    """What a write changed, so a view refreshes only that (Anki's OpChanges)."""

    item_ids: list[int] = field(default_factory=list)
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


class ItemEditing:
    """Mixed into ``Archive``: new items (one, or a batch in one transaction) and edits of an
    item's and an asset's fields, each changed field an event with its old and new value."""

    @property
    def _archive(self) -> Archive:
        return cast("Archive", self)  # only ever mixed into Archive

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
        lookup = vocab or self._archive.lookup_vocabulary
        _cleaned, item = checked_item(values, kind, lookup, base=blank, new=True, memo=memo)
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
                found[key] = self._archive.catalogue.vocabulary_value(*key)
            return found[key]

        return lookup

    def _check_accession_free(self, accession: str, item_id: int | None = None) -> None:
        holder = self._archive.catalogue.item_id_for_accession(accession)
        if holder is not None and holder != item_id:
            raise ValidationError("accession", f"{accession!r} is already used by {item_label(self._archive, holder)}")

    def add_item(self, values: Mapping[str, Any]) -> int:
        item = self.prepare_item(values)
        with self._archive.catalogue.transaction():
            item_id = self.insert_prepared_item(item)
            self._archive.log("create", item_id=item_id, detail={"accession": item["accession"]})
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
        with self._archive.catalogue.transaction():
            first = self._archive.catalogue.next_item_id()
            ids = list(range(first, first + len(items)))
            self._assign_accessions(items, ids)
            # generators: the rows are converted as the catalogue writes them, so on a server the
            # conversion overlaps the server's indexing instead of coming before it
            values = row_maker(columns)
            rows = ([i, stamp, stamp, sort_title(item), *values(item)]
                    for i, item in zip(ids, items, strict=True))
            names = ["id", "created_at", "updated_at", "sort_title", *columns]
            texts = ((i, search_text(item)) for i, item in zip(ids, items, strict=True))
            self._archive.catalogue.insert_items(names, rows, texts)
            agent = self._archive.agent
            self._archive.catalogue.log_events((stamp, agent, "create", i, None, None, None, None, "success", detail)
                                               for i in ids)
            if self._archive.catalogue.has_pending_links():
                for item_id, item in zip(ids, items, strict=True):
                    make_waiting_links(self._archive, item_id, item["accession"])
        return ids

    def _assign_accessions(self, items: list[dict[str, Any]], ids: list[int]) -> None:
        given = [item["accession"] for item in items if item.get("accession")]
        if len(set(given)) != len(given):
            twice = next(a for a in given if given.count(a) > 1)
            raise ValidationError("accession", f"{twice!r} appears twice")
        taken = self._archive.catalogue.accessions_taken(given)
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
        item_id = self._archive.catalogue.insert_item(row, search_text(item))
        make_waiting_links(self._archive, item_id, item["accession"])  # a dish may have waited for this vessel
        return item_id

    def _next_accession(self, start: int | None = None) -> str:
        n = start or self._archive.catalogue.next_item_id()
        while True:
            accession = f"HUE-{n:06d}"
            if self._archive.catalogue.item_id_for_accession(accession) is None:
                return accession
            n += 1

    def _check_links(self, item: Mapping[str, Any]) -> None:
        vessel = item.get("serving_vessel")
        if vessel is None:
            return
        kind = self._archive.catalogue.item_kind(vessel)
        if kind is None:
            raise ValidationError("serving_vessel", f"there is no item {vessel}")
        if kind != "relic":
            raise ValidationError("serving_vessel", f"{item_label(self._archive, vessel)} is not a relic")
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
            with self._archive.catalogue.transaction():
                current = self._archive.get(item_id, with_assets=False)
                merged, diff = self._merge_changes(item_id, current, changes)
                if expected_version is not None and current["version"] != expected_version:
                    self._check_conflicts(item_id, current, diff, expected_version)
                if not diff:
                    return Change()
                version = current["version"] + 1
                row = to_row({k: new for k, (_old, new) in diff.items()})
                row.update(updated_at=now(), sort_title=sort_title(merged), version=version)
                self._archive.catalogue.update_item(item_id, row, search_text(merged))
                for name, (old, new) in diff.items():
                    self._archive.log("edit", item_id=item_id, field=name, old=old, new=new,
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
            saved = any(save in str(event.get("detail") or "") for event in self._archive.catalogue.history(item_id))
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
        cleaned, merged = checked_item(changes, kind, self._archive.lookup_vocabulary, base=current)
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
        saved = self._archive.catalogue.field_saves_since(item_id, since)
        last = {name: (agent, at) for name, agent, at in saved}  # the newest save of each field
        conflicts = [{"field": name, "theirs": current[name], "yours": new, "agent": last[name][0],
                      "at": last[name][1]} for name, (_old, new) in diff.items() if name in last]
        if conflicts:
            raise EditConflict(item_id, conflicts, current["version"])

    def update_asset(self, asset_id: int, changes: Mapping[str, Any]) -> Change:
        """Correct an asset's descriptive fields (units, up axis, capture details…) after import.

        Only catalogue values change: the stored files are never touched, so their hashes and
        ``verify`` stay clean. Each changed field is an ``edit`` event with old and new value and
        the asset's id; the item's version goes up so open editors notice."""
        cleaned = clean_asset_changes(changes, self._archive.lookup_vocabulary)
        with self._archive.catalogue.transaction():
            current = self._archive.catalogue.asset_row(asset_id)
            if current is None:
                raise NotFound(f"There is no asset {asset_id}")
            item_id = int(current["item_id"])
            diff = {k: (current[k], v) for k, v in cleaned.items() if current[k] != v}
            if not diff:
                return Change()
            self._archive.catalogue.update_asset(asset_id, {k: new for k, (_old, new) in diff.items()})
            version = int(self._archive.get(item_id, with_assets=False)["version"]) + 1
            self._archive.catalogue.update_item(item_id, {"version": version, "updated_at": now()})
            for name, (old, new) in diff.items():
                self._archive.log("edit", item_id=item_id, asset_id=asset_id, field=name, old=old, new=new,
                                  detail={"version": version})
            if "units" in diff:
                self._archive.records_follow_units(asset_id, diff["units"][1])
        return Change([item_id], diff)


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
