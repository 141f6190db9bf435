"""Saved scan comparisons in the catalogue (schema 009_comparisons).

Mixed into both engines (``SQLiteCatalogue``, ``PostgresCatalogue``) beside the research records'
statements, whose per-engine ``_record_rows``/``_record_run`` run these too: the SQL is written
once with ``?`` placeholders. Rows go in as column values (JSON text) and come out as plain
dicts; ``archive.comparisons`` gives them their meaning.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMPARISON_COLUMNS = ("id", "uid", "item_id", "asset_id", "compared_item_id", "compared_asset_id", "compared",
                      "parameters", "summary", "transform", "created_at", "created_by")
"""Every column of ``comparisons``, in the order rows come out."""

_SELECT = f"SELECT {', '.join(COMPARISON_COLUMNS)} FROM comparisons"


class ComparisonsSQL:
    """The statements; the engine's research-records runners (``records_sql``) run them."""

    def _record_rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError  # the engine's (records_sql)

    def _record_run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError  # the engine's (records_sql)

    def comparison_rows(self, item_id: int | None = None) -> list[dict[str, Any]]:
        """Rows of the comparisons the item takes part in (as reference or as compared scan;
        every comparison when ``item_id`` is None), oldest first."""
        if item_id is None:
            return self._record_rows(f"{_SELECT} ORDER BY id")
        return self._record_rows(f"{_SELECT} WHERE item_id = ? OR compared_item_id = ? ORDER BY id",
                                 [item_id, item_id])

    def comparison_row(self, comparison_id: int) -> dict[str, Any] | None:
        rows = self._record_rows(f"{_SELECT} WHERE id = ?", [comparison_id])
        return rows[0] if rows else None

    def comparison_id_for_uid(self, uid: str) -> int | None:
        found = self._record_run("SELECT id FROM comparisons WHERE uid = ?", [uid])
        return int(found) if found is not None else None

    def insert_comparison(self, row: dict[str, Any]) -> int:
        """Insert one comparison (column values, without ``id``); returns its id (one more than
        the largest, so both engines number alike, as records do)."""
        names = ["id", *row]
        values = ", ".join(["(SELECT coalesce(max(id), 0) + 1 FROM comparisons)", *["?"] * len(row)])
        return int(self._record_run(
            f"INSERT INTO comparisons ({', '.join(names)}) VALUES ({values}) RETURNING id", list(row.values())))

    def delete_comparison(self, comparison_id: int) -> None:
        self._record_run("DELETE FROM comparisons WHERE id = ?", [comparison_id])


def comparison_uids_of(catalogue_file: Path) -> list[str]:
    """The uids of every comparison in a SQLite catalogue file (a backup's or a migration's
    snapshot), read only; none in a catalogue from before comparisons."""
    conn = sqlite3.connect(f"file:{catalogue_file}?mode=ro", uri=True)
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'comparisons'").fetchone() is None:
            return []
        return [str(r[0]) for r in conn.execute("SELECT uid FROM comparisons ORDER BY id")]
    finally:
        conn.close()


__all__ = ["COMPARISON_COLUMNS", "ComparisonsSQL", "comparison_uids_of"]
