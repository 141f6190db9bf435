"""A team archive's catalogue (PostgreSQL) at 100,000 items: the queries of bench_search.py.

Run: .venv/bin/python benchmarks/bench_postgres.py [N]
Starts a throwaway server from the installed PostgreSQL binaries (tests/archive/pg.py; fsync
off, as for the tests). Targets (issue 13): search p95 ≤ 20 ms (the same 14 queries as the
SQLite benchmark); a page of 200 rows ≤ 3 ms; bulk insert ≤ 2× a COPY of the same rows. Each
figure is printed with the same run's reference: the SQLite archive for searches and pages
(the two engines alternate query by query), a bare COPY of the already-converted rows into the
same tables and indexes for the insert (best of three, alternating).
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
from archive.catalogue.postgres_postings import encode, postings_of  # noqa: E402
from archive.catalogue.postgres_sql import search_columns_and_tokens  # noqa: E402
from archive.fields import ITEM_FIELDS  # noqa: E402
from archive.records import search_text, sort_title, to_row  # noqa: E402
from archive.store import FileStore  # noqa: E402
from benchmarks.bench_search import QUERIES, percentile, records  # noqa: E402
from tests.archive.pg import Server, find_bin_dir  # noqa: E402


def copy_reference(archive: Archive, rows: list[dict]) -> float:
    """COPY of the already-validated, converted rows (items with their search columns, their
    lexemes, their tokens' postings, one event each) into the team archive's own tables, indexes
    and triggers: what the database alone costs for the rows ``add_items`` writes."""
    items = [archive.prepare_item(r, check_accession=False) for r in rows]
    columns = [f.name for f in ITEM_FIELDS if any(i[f.name] not in (None, []) for i in items)]
    converted, lexemes, tokens = [], [], []
    for n, item in enumerate(items, start=1):
        row = to_row(item)
        text = search_text(item)
        words, count, item_lexemes, item_tokens = search_columns_and_tokens(text)
        converted.append([n, "t", "t", sort_title(item), *(row[c] for c in columns), text, words, count])
        lexemes.append((n, item_lexemes))
        tokens.append((n, item_tokens))
    postings = [(token, block, encode(offsets)) for (token, block), offsets in postings_of(tokens).items()]
    names = ["id", "created_at", "updated_at", "sort_title", *columns, "search_text", "words", "word_count"]
    conn = archive.catalogue.conn  # type: ignore[attr-defined]
    start = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(f"COPY items ({', '.join(names)}) FROM STDIN") as copy:
            for values in converted:
                copy.write_row(values)
        with cur.copy("COPY item_lexemes (id, lexemes) FROM STDIN") as copy:
            for values in lexemes:
                copy.write_row(values)
        with cur.copy("COPY item_postings (token, block, ids) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "int8", "bytea"])
            for values in postings:
                copy.write_row(values)
        with cur.copy("COPY events (at, agent, type, item_id, outcome, detail) FROM STDIN") as copy:
            for n in range(1, len(rows) + 1):
                copy.write_row(("t", "bench", "create", n, "success", "bulk"))
    return time.perf_counter() - start


def timed(archive: Archive, query: SearchQuery) -> float:
    t0 = time.perf_counter()
    archive.search_ids(query)
    return (time.perf_counter() - t0) * 1000


def searches(team: Archive, single: Archive) -> dict[str, dict[str, list[float]]]:
    """Each query 5 times on each engine, the engines alternating so that a busy moment of a
    shared machine falls on both."""
    timings: dict[str, dict[str, list[float]]] = {"team": {}, "single": {}}
    for _ in range(5):
        for q in QUERIES:
            for name, archive in (("team", team), ("single", single)):
                timings[name].setdefault(q, []).append(timed(archive, SearchQuery(text=q)))
    return timings


def pages(team: Archive, single: Archive) -> dict[str, list[float]]:
    """A page of 200 display rows, 50 pages spread over the catalogue, engines alternating."""
    ids = single.search_ids(SearchQuery())
    out: dict[str, list[float]] = {"team": [], "single": []}
    for k in range(50):
        chunk = ids[k * 1000:k * 1000 + 200]
        for name, archive in (("team", team), ("single", single)):
            t0 = time.perf_counter()
            archive.rows(chunk)
            out[name].append((time.perf_counter() - t0) * 1000)
    return out


def bulk(server: Server, tmp: Path, rows: list[dict]) -> Path:
    """Best of three, alternating with the COPY reference; returns the last team archive."""
    runs = []
    for k in range(3):
        ref = Archive.create(tmp / f"ref{k}", catalogue=server.new_database())
        copy_s = copy_reference(ref, rows)
        ref.close()
        team = Archive.create(tmp / f"team{k}", catalogue=server.new_database())
        start = time.perf_counter()
        team.add_items(rows)
        runs.append((time.perf_counter() - start, copy_s))
        team.catalogue._x("ANALYZE")  # type: ignore[attr-defined]  # as autovacuum soon would
        team.close()
    ours, copy_s = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"bulk insert of {len(rows)} items (validation, search columns, one event each): {ours:.2f} s (best of 3)")
    print(f"  COPY of the same converted rows, lexemes and events: {copy_s:.2f} s -> {ours / copy_s:.2f}× "
          "(target ≤ 2×)")
    return tmp / "team2"


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
            team_root = bulk(server, Path(tmp), rows)
            root = Path(tmp) / "single"
            root.mkdir()
            FileStore(root).create_dirs()
            single = Archive(root, SQLiteCatalogue.open(root / "catalogue.sqlite", create=True))
            single.add_items(rows)
            single.close()
            single = Archive.open(root)
            team = Archive.open(team_root)
            report(team, single)
            team.close()
            single.close()
    finally:
        server.stop()


def report(team: Archive, single: Archive) -> None:
    timings = searches(team, single)
    pg_t, lite_t = timings["team"], timings["single"]
    for q in QUERIES:
        hits = team.search_ids(SearchQuery(text=q))
        same = hits == single.search_ids(SearchQuery(text=q))
        print(f"  search {q!r:>14}: {statistics.median(pg_t[q]):6.2f} ms  (SQLite "
              f"{statistics.median(lite_t[q]):6.2f} ms; {len(hits)} hits, {'same' if same else 'DIFFERENT'})")
    pg_all = [t for ts in pg_t.values() for t in ts]
    lite_all = [t for ts in lite_t.values() for t in ts]
    p95, ref95 = percentile(pg_all, 95), percentile(lite_all, 95)
    print(f"search p50 {percentile(pg_all, 50):.2f} ms, p95 {p95:.2f} ms (target ≤ 20 ms); "
          f"SQLite p50 {percentile(lite_all, 50):.2f} ms, p95 {ref95:.2f} ms -> {p95 / ref95:.2f}×")
    page = pages(team, single)
    p95, ref95 = percentile(page["team"], 95), percentile(page["single"], 95)
    print(f"page of 200 rows: p50 {percentile(page['team'], 50):.2f} ms, p95 {p95:.2f} ms (target ≤ 3 ms); "
          f"SQLite p50 {percentile(page['single'], 50):.2f} ms, p95 {ref95:.2f} ms -> {p95 / ref95:.2f}×")


if __name__ == "__main__":
    main()
