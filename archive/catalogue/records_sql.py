"""Research records and vocabulary external ids in the catalogue (schema 006_research_records).

Mixed into both engines (``SQLiteCatalogue``, ``PostgresCatalogue``): the SQL is written once
with ``?`` placeholders; each engine's small subclass below says how a statement runs. Rows go
in as column values (JSON text, 0/1) and come out as plain dicts; ``archive.research`` gives
them their meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg
    from sqlite_utils import Database

RECORD_COLUMNS = ("id", "uid", "item_id", "asset_id", "kind", "measure", "points", "value", "unit", "normal",
                  "title_vi", "title_en", "text_vi", "text_en", "view", "public", "review", "created_at",
                  "created_by", "updated_at", "updated_by", "version")
"""Every column of ``records``, in the order rows come out."""

_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM records"


class _RecordsSQL:
    """The statements; ``_record_rows``/``_record_run`` (per engine) run them."""

    def _record_rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _record_run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the first column of its first row, if any."""
        raise NotImplementedError

    def current_master(self, item_id: int) -> tuple[str, str, str] | None:
        raise NotImplementedError  # the engine's own (base.Catalogue)

    # -- records ---------------------------------------------------------------------------
    def record_rows(self, item_id: int | None = None, kind: str | None = None,
                    public_only: bool = False) -> list[dict[str, Any]]:
        """Rows of the item's records (every item's when ``item_id`` is None), by item and id."""
        where: list[str] = []
        params: list[Any] = []
        if item_id is not None:
            where.append("item_id = ?")
            params.append(item_id)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if public_only:
            where.append("public = 1")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self._record_rows(f"{_SELECT}{clause} ORDER BY item_id, id", params)

    def record_row(self, record_id: int) -> dict[str, Any] | None:
        rows = self._record_rows(f"{_SELECT} WHERE id = ?", [record_id])
        return rows[0] if rows else None

    def record_id_for_uid(self, uid: str) -> int | None:
        found = self._record_run("SELECT id FROM records WHERE uid = ?", [uid])
        return int(found) if found is not None else None

    def insert_record(self, row: dict[str, Any]) -> int:
        """Insert one record (column values, without ``id``); returns its id (one more than the
        largest, as SQLite gives, so both engines number alike)."""
        names = ["id", *row]
        values = ", ".join(["(SELECT coalesce(max(id), 0) + 1 FROM records)", *["?"] * len(row)])
        return int(self._record_run(f"INSERT INTO records ({', '.join(names)}) VALUES ({values}) RETURNING id",
                             list(row.values())))

    def update_record(self, record_id: int, row: dict[str, Any]) -> None:
        """Set the columns in ``row`` (names come from the archive's record fields, never from input)."""
        sets = ", ".join(f"{name} = ?" for name in row)
        self._record_run(f"UPDATE records SET {sets} WHERE id = ?", [*row.values(), record_id])

    def delete_record(self, record_id: int) -> None:
        self._record_run("DELETE FROM records WHERE id = ?", [record_id])

    def master_asset_id(self, item_id: int) -> int | None:
        """Id of the item's current master (the asset ``current_master`` names), or None."""
        master = self.current_master(item_id)
        found = None if master is None else self._record_run("SELECT id FROM assets WHERE uid = ?", [master[0]])
        return int(found) if found is not None else None

    def record_saves_since(self, item_id: int, uid: str, version: int) -> list[tuple[str, str, str]]:
        """(field, agent, at) of each change to record ``uid`` that made a version after ``version``."""
        raise NotImplementedError

    # -- vocabulary external ids -------------------------------------------------------------
    def vocabulary_external_ids(self, name: str) -> dict[str, str]:
        """{value: external id} of the terms of vocabulary ``name`` that have one."""
        return {r["value"]: r["external_id"] for r in self._record_rows(
            "SELECT value, external_id FROM vocabulary WHERE vocabulary = ? AND external_id IS NOT NULL", [name])}

    def set_vocabulary_external_id(self, name: str, value: str, external_id: str | None) -> None:
        self._record_run("UPDATE vocabulary SET external_id = ? WHERE vocabulary = ? AND value = ?",
                  [external_id, name, value])


class SQLiteRecords(_RecordsSQL):
    """For ``SQLiteCatalogue`` (which holds ``db``)."""

    db: Database

    def _record_rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, list(params)))

    def _record_run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.db.execute(sql, list(params)).fetchone()
        return row[0] if row is not None else None

    def record_saves_since(self, item_id: int, uid: str, version: int) -> list[tuple[str, str, str]]:
        return self.db.execute(
            "SELECT field, agent, at FROM events WHERE item_id = ? AND type = 'record_changed' AND field IS NOT NULL"
            " AND (CASE WHEN json_valid(detail) THEN json_extract(detail, '$.uid') END) = ?"
            " AND (CASE WHEN json_valid(detail) THEN json_extract(detail, '$.version') END) > ? ORDER BY id",
            [item_id, uid, version]).fetchall()


class PostgresRecords(_RecordsSQL):
    """For ``PostgresCatalogue`` (whose ``_x`` runs a statement, errors typed)."""

    if TYPE_CHECKING:
        def _x(self, sql: str, params: Sequence[Any] = (), rows: bool = False) -> psycopg.Cursor[Any]: ...

    def _record_rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self._x(sql.replace("?", "%s"), params, rows=True).fetchall())

    def _record_run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = self._x(sql.replace("?", "%s"), params)
        row = cursor.fetchone() if cursor.description else None
        return row[0] if row is not None else None

    def record_saves_since(self, item_id: int, uid: str, version: int) -> list[tuple[str, str, str]]:
        return [(r[0], r[1], r[2]) for r in self._x(
            "SELECT field, agent, at FROM events WHERE item_id = %s AND type = 'record_changed' AND field IS NOT NULL"
            " AND heritage_event_text(detail, 'uid') = %s AND heritage_event_version(detail) > %s ORDER BY id",
            [item_id, uid, version]).fetchall()]


__all__ = ["RECORD_COLUMNS", "PostgresRecords", "SQLiteRecords"]
