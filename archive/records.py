"""Converting between catalogue rows and plain Python values (lists as JSON, bools)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from .fields import ITEM_FIELDS, LIST_FIELDS, SEARCHABLE_FIELDS
from .text import fold

ASSET_JSON = ("textures", "warnings", "details", "bbox_min", "bbox_max")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_BOOL_FIELDS = frozenset(f.name for f in ITEM_FIELDS if f.type == "bool")
# json.dumps(value, ensure_ascii=False) builds a new encoder on every call (a third of its time
# for a short list); this one encoder writes the same text
_JSON_LIST = json.JSONEncoder(ensure_ascii=False).encode


def to_row(values: dict[str, Any]) -> dict[str, Any]:
    """Python values -> column values (lists as JSON text, booleans as 0/1)."""
    row = dict(values)
    for name in LIST_FIELDS.intersection(row):
        value = row[name]
        row[name] = _JSON_LIST(value) if value else "[]"
    for name in _BOOL_FIELDS.intersection(row):
        value = row[name]
        row[name] = None if value is None else int(bool(value))
    return row


def row_values(item: dict[str, Any], columns: list[str]) -> list[Any]:
    """Column values of ``item`` for ``columns`` only (the bulk-insert path of ``to_row``)."""
    return row_maker(columns)(item)


def row_maker(columns: Sequence[str]) -> Callable[[dict[str, Any]], list[Any]]:
    """``row_values`` for ``columns``, with the columns' types looked up once (a bulk insert calls
    it for every item)."""
    kinds = [(name, 1 if name in LIST_FIELDS else 2 if name in _BOOL_FIELDS else 0) for name in columns]

    def values(item: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for name, kind in kinds:
            value = item[name]
            if kind == 1:
                value = _JSON_LIST(value) if value else "[]"
            elif kind == 2 and value is not None:
                value = int(bool(value))
            out.append(value)
        return out

    return values


def item_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """Column values -> Python values (every field present)."""
    item: dict[str, Any] = {"id": row["id"]}
    for field in ITEM_FIELDS:
        value = row.get(field.name)
        if field.type == "list":
            value = json.loads(value) if value else []
        elif field.type == "bool":
            value = bool(value) if value is not None else False
        item[field.name] = value
    item["created_at"] = row.get("created_at")
    item["updated_at"] = row.get("updated_at")
    item["version"] = row.get("version") or 1
    item["title"] = display_title(item)
    return item


def asset_from_row(row: dict[str, Any]) -> dict[str, Any]:
    asset = dict(row)
    for key in ASSET_JSON:
        if asset.get(key) is not None:
            asset[key] = json.loads(asset[key])
    asset["textured"] = bool(asset["textured"])
    asset["vertex_colors"] = bool(asset["vertex_colors"])
    asset["bbox"] = {"min": asset.pop("bbox_min"), "max": asset.pop("bbox_max")}
    return asset


def asset_row(asset: dict[str, Any]) -> dict[str, Any]:
    """Asset values -> column values (the inverse of ``asset_from_row`` without the bbox pair)."""
    row = dict(asset)
    for key in ASSET_JSON:
        if row.get(key) is not None:
            row[key] = json.dumps(row[key], ensure_ascii=False)
    row["textured"] = int(bool(row.get("textured")))
    row["vertex_colors"] = int(bool(row.get("vertex_colors")))
    return row


def display_title(item: dict[str, Any]) -> str:
    return str(item.get("title_vi") or item.get("title_en") or item.get("accession") or "")


def sort_title(item: dict[str, Any]) -> str:
    """The key titles sort by: folded, so accents do not send a title after Z."""
    return fold(display_title(item)).strip()


def search_text(item: dict[str, Any]) -> str:
    """The accent-folded text indexed for full-text search."""
    parts: list[str] = []
    for value in map(item.get, SEARCHABLE_FIELDS):
        if value:
            if isinstance(value, list):
                parts.extend(value)
            else:
                parts.append(value if value.__class__ is str else str(value))
    return fold("\n".join(parts))


def event_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
