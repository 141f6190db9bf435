"""What a catalogue search asks for; each catalogue engine turns it into its own query
(the SQLite one: ``archive.catalogue.sqlite_sql``)."""

from __future__ import annotations

from dataclasses import dataclass

SORTS = ("title", "accession", "updated", "kind", "status", "period", "id")
"""The orders a search can ask for besides "relevance"."""


@dataclass
class SearchQuery:
    text: str = ""
    kind: str | None = None
    collection: str | None = None
    status: str | None = None
    period: str | None = None
    material: str | None = None
    culinary_line: str | None = None
    has_texture: bool | None = None
    sort: str = "relevance"  # relevance (with text) or one of SORTS
    descending: bool = False
    limit: int | None = None
    offset: int = 0

