"""A team archive's catalogue (PostgreSQL) at 100,000 items: the queries of bench_search.py.

Run: .venv/bin/python benchmarks/bench_postgres.py [N]
Starts a throwaway server from the installed PostgreSQL binaries (tests/archive/pg.py; fsync
off, as for the tests). Targets (issue 13): search p95 ≤ 20 ms (the same 14 queries as the
SQLite benchmark); a page of 200 rows ≤ 3 ms; bulk insert ≤ 2× a COPY of the same rows. Each
figure is printed with the same run's reference: the SQLite archive for searches and pages, a
bare COPY of the already-converted rows for the insert.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive import Archive, SearchQuery  # noqa: E402
from archive.catalogue import SQLiteCatalogue  # noqa: E402
from archive.catalogue.postgres_sql import words_of  # noqa: E402
from archive.fields import ITEM_FIELDS  # noqa: E402
from archive.records import search_text, sort_title, to_row  # noqa: E402
from archive.store import FileStore  # noqa: E402
from benchmarks.bench_search import QUERIES, percentile, records  # noqa: E402
from tests.archive.pg import Server, find_bin_dir  # noqa: E402


def copy_reference(archive: Archive, rows: list[dict]) -> float:
    """COPY of the already-validated, converted rows (items with their search words, one event
    each) into the team archive's own tables: what the database alone costs."""
    import psycopg

    items = [archive.prepare_item(r, check_accession=False) for r in rows]
    columns = [f.name for f in ITEM_FIELDS if any(i[f.name] not in (None, []) for i in items)]
    converted = []
    for n, item in enumerate(items, start=1):
        row = to_row(item)
        text = search_text(item)
        converted.append([n, "t", "t", sort_title(item), *(row[c] for c in columns), text, *words_of(text)])
    names = ["id", "created_at", "updated_at", "sort_title", *columns, "search_text", "words", "word_count"]
    conn = archive.catalogue.conn  # type: ignore[attr-defined]
    start = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(f"COPY items ({', '.join(names)}) FROM STDIN") as copy:
            for values in converted:
                copy.write_row(values)
        with cur.copy("COPY events (at, agent, type, item_id, outcome, detail) FROM STDIN") as copy:
            for n in range(1, len(rows) + 1):
                copy.write_row(("t", "bench", "create", n, "success", "bulk"))
    elapsed = time.perf_counter() - start
    assert isinstance(conn, psycopg.Connection)
    return elapsed


def timed(archive: Archive, query: SearchQuery) -> float:
    t0 = time.perf_counter()
    archive.search_ids(query)
    return (time.perf_counter() - t0) * 1000


def searches(archive: Archive) -> tuple[dict[str, list[float]], list[float]]:
    timings: dict[str, list[float]] = {}
    for _ in range(5):
        for q in QUERIES:
            timings.setdefault(q, []).append(timed(archive, SearchQuery(text=q)))
    ids = archive.search_ids(SearchQuery())
    page = []
    for k in range(50):
        chunk = ids[k * 1000:k * 1000 + 200]
        t0 = time.perf_counter()
        archive.rows(chunk)
        page.append((time.perf_counter() - t0) * 1000)
    return timings, page


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rows = records(n, random.Random(7))
    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("no PostgreSQL server binaries found (install postgresql)")
    server = Server(bin_dir).start()
    os.environ["PGUSER"] = "postgres"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ref = Archive.create(Path(tmp) / "ref", catalogue=server.new_database())
            copy_s = copy_reference(ref, rows)
            ref.close()
            team = Archive.create(Path(tmp) / "team", catalogue=server.new_database())
            start = time.perf_counter()
            team.add_items(rows)
            ours = time.perf_counter() - start
            team.catalogue._x("ANALYZE")  # type: ignore[attr-defined]  # as autovacuum soon would
            print(f"bulk insert of {n} items (validation, search words, one event each): {ours:.2f} s")
            print(f"  COPY of the same converted rows and events: {copy_s:.2f} s -> {ours / copy_s:.2f}× (target ≤ 2×)")
            team.close()
            root = Path(tmp) / "single"
            root.mkdir()
            FileStore(root).create_dirs()
            single = Archive(root, SQLiteCatalogue.open(root / "catalogue.sqlite", create=True))
            single.add_items(rows)
            single.close()
            single = Archive.open(root)
            team = Archive.open(Path(tmp) / "team")
            pg_t, pg_page = searches(team)
            lite_t, lite_page = searches(single)
            for q in QUERIES:
                hits = len(team.search_ids(SearchQuery(text=q)))
                same = team.search_ids(SearchQuery(text=q)) == single.search_ids(SearchQuery(text=q))
                print(f"  search {q!r:>14}: {statistics.median(pg_t[q]):6.2f} ms  (SQLite "
                      f"{statistics.median(lite_t[q]):6.2f} ms; {hits} hits, {'same' if same else 'DIFFERENT'})")
            pg_all = [t for ts in pg_t.values() for t in ts]
            lite_all = [t for ts in lite_t.values() for t in ts]
            p95, ref95 = percentile(pg_all, 95), percentile(lite_all, 95)
            print(f"search p50 {percentile(pg_all, 50):.2f} ms, p95 {p95:.2f} ms (target ≤ 20 ms); "
                  f"SQLite p95 {ref95:.2f} ms -> {p95 / ref95:.2f}×")
            page, ref_page = percentile(pg_page, 95), percentile(lite_page, 95)
            print(f"page of 200 rows: p50 {percentile(pg_page, 50):.2f} ms, p95 {page:.2f} ms (target ≤ 3 ms); "
                  f"SQLite p95 {ref_page:.2f} ms -> {page / ref_page:.2f}×")
            team.close()
            single.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
