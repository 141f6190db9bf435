"""``verify`` on a team archive checks each search token's id set (``item_postings``) against the
items' words: one damaged row is reported, naming its token, and an intact catalogue reports nothing.
PostgreSQL only: a single-user archive has no such rows (FTS5 keeps its own index)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archive.catalogue import postgres_postings as postings
from archive.service import Archive
from archive.verify import verify

psycopg = pytest.importorskip("psycopg")

ITEMS = [{"kind": "dish", "title_vi": "Bún bò Huế", "tags": ["Huế"]},
         {"kind": "dish", "title_vi": "Bánh bèo Huế", "description_vi": "chén nhỏ"},
         {"kind": "relic", "title_vi": "Chén ngự", "description_en": "bowl with glaze"}]


@pytest.fixture
def team(pg_server: Any, tmp_path: Path) -> Archive:
    archive = Archive.create(tmp_path / "team", catalogue=pg_server.new_database())
    archive.add_items(ITEMS)
    yield archive
    archive.close()


def _sql(archive: Archive, sql: str, params: list[Any]) -> None:
    conn = archive.catalogue.conn  # type: ignore[attr-defined]
    with conn.transaction():
        conn.execute(sql, params)


def test_an_intact_team_archive_reports_no_posting_problem(team: Archive) -> None:
    assert verify(team).database == []


def test_a_posting_row_missing_an_item_is_reported(team: Archive) -> None:
    # "hue" is held by items 1 and 2: the row is made to hold item 1 only
    _sql(team, "UPDATE item_postings SET ids = %s WHERE token = 'hue' AND block = 0", [postings.encode([1])])
    report = verify(team)
    assert len(report.database) == 1
    assert "1 search posting row(s) disagree" in report.database[0] and "'hue'" in report.database[0]
    assert not report.ok


def test_a_posting_row_holding_an_item_without_the_word_is_reported(team: Archive) -> None:
    _sql(team, "UPDATE item_postings SET ids = %s WHERE token = 'ngu' AND block = 0", [postings.encode([1, 3])])
    assert "'ngu'" in verify(team).database[0]


def test_a_missing_row_and_a_row_for_no_item_are_reported(team: Archive) -> None:
    _sql(team, "DELETE FROM item_postings WHERE token = 'glaze'", [])
    _sql(team, "INSERT INTO item_postings (token, block, ids) VALUES ('ghost', 3, %s)", [postings.encode([7])])
    problems = verify(team).database
    assert len(problems) == 1 and problems[0].startswith("2 search posting row(s) disagree")
    assert "'glaze'" in problems[0] and "'ghost' (ids 196608–262143)" in problems[0]
