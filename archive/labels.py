"""How messages name an item: by its accession number and title, as staff know it, never by the
catalogue's internal id alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NotFound

if TYPE_CHECKING:
    from .service import Archive


def item_label(archive: Archive, item_id: int) -> str:
    """``HUE-000012 «Chuông đồng»`` (the Vietnamese title, else the English one); an id that is
    no longer in the catalogue is named as such rather than hidden."""
    try:
        item = archive.get(item_id, with_assets=False)
    except NotFound:
        return f"item {item_id} (not in the catalogue)"
    title = item.get("title_vi") or item.get("title_en")
    return f"{item['accession']} «{title}»" if title else str(item["accession"])
