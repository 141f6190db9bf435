"""Deleting an item: its files move out of the store into ``deleted/<label>/`` (kept, with a copy
of its record) and its rows go, all or nothing across a crash. ``ItemDeletion`` is mixed into
``archive.Archive`` (the one door)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import ValidationError
from .records import now

if TYPE_CHECKING:
    from .service import Archive


class ItemDeletion:
    """Mixed into ``Archive``: delete an item, and finish or undo at open a deletion a crash cut."""

    @property
    def _archive(self) -> Archive:
        return cast("Archive", self)  # only ever mixed into Archive

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
            with self._archive.catalogue.transaction():
                item = self._archive.get(item_id)
                item["records"] = self._archive.records(item_id)  # kept with the item's copy in deleted/
                item["comparisons"] = self._archive.comparisons(item_id)
                stamped = f"{now().replace(':', '')}-{item['accession']}".replace("/", "_")
                label = self._archive.store.free_label(stamped)
                target = self._archive.store.begin_withdrawal(label, item_id, item)
                self._delete_rows(item, label)
        except BaseException:
            if label is not None:  # rolled back by now: the files go back where the rows say
                self._archive.store.undo_withdrawal(label)
            raise
        self._archive.store.end_withdrawal(label)
        self._archive.drop_comparison_files(item["comparisons"], item_id)  # derived files of the rows that went
        return target

    def _delete_rows(self, item: dict[str, Any], label: str) -> None:
        item_id = item["id"]
        for linked, version in self._archive.catalogue.unlink_serving_vessel(item_id):
            self._archive.log("edit", item_id=linked, field="serving_vessel", old=item_id, new=None,
                              detail={"version": version})
        self._archive.catalogue.delete_item(item_id)
        self._archive.log("delete", item_id=item_id,
                          detail={"accession": item["accession"], "moved_to": f"deleted/{label}"})

    def _finish_deletions(self) -> None:
        """At open: complete a deletion whose commit happened, undo one whose commit did not.
        Under the write lock, so a deletion still running in another process is waited for."""
        if not self._archive.store.pending_withdrawals():
            return
        with self._archive.catalogue.transaction():
            for label, item_id in self._archive.store.pending_withdrawals():
                if item_id is not None and not self._archive.catalogue.item_exists(item_id):
                    self._archive.store.end_withdrawal(label)
                else:
                    self._archive.store.undo_withdrawal(label)
