"""A 100,000-item single-user archive migrates to a team archive and back with nothing changed
(issue 13): every row of every table compared one by one with test_migrate's comparison, every
file re-hashed, the searches giving the same hits. Slow (about two minutes); run with
``-m slow -s`` to see the timings (benchmarks/bench_migrate.py prints them with references)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from archive.migrate import migrate
from archive.search import SearchQuery
from archive.service import Archive
from benchmarks.bench_search import QUERIES, records

from .test_migrate import _assert_same, _fill, _single, _tables

pytest.importorskip("psycopg")
ITEMS = 100_000


def build_source(root: Path, work: Path, items: int) -> Archive:
    """test_migrate's archive (scans, records, vocabulary, a waiting link, edits) plus ``items``
    generated items, a few hundred of them edited (events with old and new values)."""
    archive = _single(root)
    _fill(archive, work)
    ids = archive.add_items(records(items, random.Random(7)))
    for item in ids[::max(1, items // 300)]:
        archive.update(item, {"title_en": f"Edited {item}", "tags": ["đã sửa"]})
    return archive


def round_trip(source: Archive, work: Path, url: str) -> dict[str, float]:
    """Migrate ``source`` into the team catalogue at ``url`` and back; asserts that nothing
    changed on the way; returns the seconds each step took."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    before = _tables(source)
    seconds["read every row (comparison)"] = time.perf_counter() - start
    start = time.perf_counter()
    team_dir = migrate(source.root, work / "team", catalogue=url)
    seconds["migrate into the team archive"] = time.perf_counter() - start
    with Archive.open(team_dir) as team:
        _assert_same(_tables(team), before)
        for text in QUERIES:
            assert team.search_ids(SearchQuery(text=text)) == source.search_ids(SearchQuery(text=text)), text
        start = time.perf_counter()
        back_dir = migrate(team_dir, work / "back")
        seconds["migrate back to a single-user archive"] = time.perf_counter() - start
    with Archive.open(back_dir) as back:
        _assert_same(_tables(back), before)
        assert back.catalogue.fixity_rows() == source.catalogue.fixity_rows()
        start = time.perf_counter()
        assert back.verify().ok
        seconds["verify the archive that came back"] = time.perf_counter() - start
    return seconds


@pytest.mark.slow
def test_a_100k_item_archive_goes_to_a_team_archive_and_back_unchanged(pg_server: Any, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]):
    source = build_source(tmp_path / "single", tmp_path, ITEMS)
    try:
        assert source.catalogue.count_items() > ITEMS
        seconds = round_trip(source, tmp_path, pg_server.new_database())
    finally:
        source.close()
    with capsys.disabled():
        print("\n" + "\n".join(f"  {step}: {s:.1f} s" for step, s in seconds.items()))
