"""Links to items that are not in this archive yet.

A bag or a CSV may carry a dish whose serving vessel is in another archive. The link is kept
by the vessel's accession number (``pending_links``) instead of being dropped, the import says
so, and the link is made, as an ordinary edit of the dish (an event, a new version), when an
item with that accession arrives. Callers run these inside their own write transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ValidationError

if TYPE_CHECKING:
    from .service import Archive

LINK_FIELDS = ("serving_vessel",)


def keep_pending_link(archive: Archive, item_id: int, field: str, accession: str) -> str:
    """Remember that ``item_id``'s ``field`` names ``accession``; returns the note to report."""
    archive.catalogue.add_pending_link(item_id, field, accession)
    archive.log("pending-link", item_id=item_id, field=field, new=accession,
                detail={"accession": accession, "reason": "not in this archive yet"})
    return pending_note(field, accession)


def pending_note(field: str, accession: str) -> str:
    what = field.replace("_", " ")
    return f"{what} {accession} is not in this archive yet; the link will be made when it arrives"


def make_waiting_links(archive: Archive, item_id: int, accession: str) -> list[str]:
    """Make every link waiting for ``accession``, now item ``item_id``; returns a note per link
    that still cannot be made (e.g. the item that arrived is not a relic; it stays pending)."""
    notes = []
    for waiting_id, field in archive.catalogue.pending_links_to(accession):
        try:
            archive.update(waiting_id, {field: item_id})  # an edit event, a new version
        except ValidationError as exc:
            notes.append(f"item {waiting_id}: its {field.replace('_', ' ')} {accession} arrived but the link "
                         f"was not made ({exc.reason}); it is still waiting")
            continue
        archive.catalogue.remove_pending_link(waiting_id, field)
    return notes
