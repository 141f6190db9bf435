"""``heritage migrate``: a single-user archive into a team archive and back, nothing changed
(archive.migrate). Every row of every table is compared, one by one, ids included."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archive.catalogue import SQLiteCatalogue
from archive.catalogue.postgres_schema import TABLES
from archive.errors import StorageError
from archive.migrate import migrate
from archive.service import Archive
from archive.store import FileStore
from heritage_app.cli import main

from .helpers import write_box_ply, write_textured_obj

psycopg = pytest.importorskip("psycopg")
_HIDDEN = ("search_text", "words", "word_count")


def _single(root: Path) -> Archive:
    """A single-user archive whatever engine the suite runs on (the source of a migration)."""
    root.mkdir(parents=True)
    FileStore(root).create_dirs()
    return Archive(root, SQLiteCatalogue.open(root / "catalogue.sqlite", create=True))


def _fill(archive: Archive, tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    report = archive.import_paths([write_box_ply(scans), write_textured_obj(scans)])
    assert not report.errors and len(report.imported) == 2
    vessel = archive.add_item({"kind": "relic", "title_vi": "Chén ngự", "accession": "R-1"})
    dish = archive.add_item({"kind": "dish", "title_vi": "Chè hạt sen", "serving_vessel": vessel})
    archive.update(dish, {"title_en": "Lotus seed sweet soup", "collections": ["Ẩm thực Huế"]})
    archive.add_vocabulary("materials", "Gỗ mít", "jackfruit wood", external_id="wd:Q3374355")
    _add_records(archive, report.imported[0])
    _add_comparison(archive, report.imported, tmp_path)
    csv = tmp_path / "waiting.csv"
    csv.write_text("accession,kind,title_vi,serving_vessel\nD-9,dish,Bún hến,R-404\n", encoding="utf-8")
    archive.import_csv(csv)
    archive.add_items([{"kind": "dish", "title_vi": f"Bánh {n}"} for n in range(5)])


def _add_records(archive: Archive, item: int) -> None:
    """Research records of every kind, private and public, one flagged for review (archive.research)."""
    archive.add_record(item, "measurement", [[0, 0, 0], [3, 4, 0]], measure="distance", title_vi="Cạnh")
    archive.add_record(item, "measurement", [[0, 0, 0], [1, 0, 0], [0, 1, 0]], measure="area")
    archive.add_record(item, "landmark", [[0, 0, 5]], title_en="Top")
    note = archive.add_record(item, "annotation", [[5, 0, 0]], normal=[1, 0, 0], title_vi="Vết nứt", title_en="Crack",
                              text_vi="Nứt dọc.", view={"eye": [0, 0, 60], "target": [0, 0, 0], "up": [0, 1, 0],
                                                        "fov": 45}, public=True)
    archive.update_record(note, {"review": "needs_review"})


def _add_comparison(archive: Archive, items: list[int], tmp_path: Path) -> None:
    """A saved scan comparison of one item's scan against another's, with its derived files
    (archive.comparisons)."""
    files = tmp_path / "comparison-files"
    files.mkdir()
    (files / "deviations.npz").write_bytes(b"deviations")
    summary = {"points": 10, "mean": 0.1, "mean_abs": 0.2, "rms": 0.3, "p95": 0.5, "max": 0.9, "min_signed": -0.9,
               "max_signed": 0.4, "beyond_tolerance": 0.25}
    archive.save_comparison(archive.assets(items[0])[0]["id"], archive.assets(items[1])[0]["id"],
                            parameters={"tolerance": 0.5, "align": "global", "seed": 7}, summary=summary,
                            transform=[[1, 0, 0, 2.5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], unit=None,
                            files=files)


def _comparison_files(root: Path) -> dict[str, bytes]:
    folder = root / "derived" / "comparisons"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _tables(archive: Archive) -> dict[str, Any]:
    """Every row of every table, and each item's search text, engine aside."""
    if (archive.root / "catalogue.sqlite").exists():
        conn = sqlite3.connect(archive.root / "catalogue.sqlite")
        try:
            out: dict[str, Any] = {t: _rows(conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2")) for t in TABLES}
            out["search"] = dict(conn.execute("SELECT rowid, text FROM items_fts ORDER BY rowid").fetchall())
        finally:
            conn.close()
        return out
    with psycopg.connect(archive.catalogue.url) as pg:
        out = {t: _rows(pg.execute(f"SELECT * FROM {t} ORDER BY 1, 2")) for t in TABLES}
        out["search"] = dict(pg.execute("SELECT id, search_text FROM items ORDER BY id").fetchall())
    out["items"] = [{k: v for k, v in row.items() if k not in _HIDDEN} for row in out["items"]]
    return out


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        assert len(a[table]) == len(b[table]), table
        if table == "search":
            assert a[table] == b[table]
            continue
        for row_a, row_b in zip(a[table], b[table], strict=True):
            assert row_a == row_b, table  # each field of each row


@pytest.fixture
def source(tmp_path: Path) -> Archive:
    archive = _single(tmp_path / "single")
    _fill(archive, tmp_path)
    yield archive
    archive.close()


def test_single_to_team_and_back_keeps_every_row_and_file(source: Archive, pg_server: Any, tmp_path: Path):
    before = _tables(source)
    assert before["pending_links"] and before["events"] and len(before["files"]) >= 3
    assert len(before["records"]) == 4 and [v["external_id"] for v in before["vocabulary"] if v["external_id"]]
    assert len(before["comparisons"]) == 1 and len(_comparison_files(source.root)) == 1
    team_dir = migrate(source.root, tmp_path / "team", catalogue=pg_server.new_database())
    assert (team_dir / "team.json").is_file() and not (team_dir / "catalogue.sqlite").exists()
    with Archive.open(team_dir) as team:
        _assert_same(_tables(team), before)
        assert _comparison_files(team_dir) == _comparison_files(source.root)
        assert team.catalogue.fixity_rows() == source.catalogue.fixity_rows()
        back_dir = migrate(team_dir, tmp_path / "back")
        with Archive.open(back_dir) as back:
            _assert_same(_tables(back), before)
            assert _comparison_files(back_dir) == _comparison_files(source.root)
            assert back.verify().ok
        assert team.verify().ok
    assert _tables(source) == before  # the source is only read


def test_migrated_files_are_rehashed_and_a_changed_one_stops_the_migration(source: Archive, pg_server: Any,
                                                                            tmp_path: Path):
    _item, storage_dir, path, _sha, _bytes = source.catalogue.fixity_rows()[0]
    changed = source.root / storage_dir / path
    os.chmod(changed, 0o644)
    changed.write_bytes(changed.read_bytes() + b"\n")
    url = pg_server.new_database()
    with pytest.raises(StorageError, match="does not match its recorded hash"):
        migrate(source.root, tmp_path / "team", catalogue=url)
    assert not (tmp_path / "team").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".team.")]  # no work folder left
    with psycopg.connect(url) as pg:  # the database was not touched
        assert pg.execute("SELECT to_regclass('items')").fetchone() == (None,)


def test_migrate_refuses_a_folder_that_is_not_empty(source: Archive, tmp_path: Path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(StorageError, match="not empty"):
        migrate(source.root, tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]


def test_cli_migrate_and_backup_of_a_team_archive(source: Archive, pg_server: Any, tmp_path: Path):
    before = _tables(source)
    url = pg_server.new_database()
    assert main(["migrate", str(source.root), str(tmp_path / "team"), "--catalogue", url]) == 0
    assert main(["--archive", str(tmp_path / "team"), "backup", str(tmp_path / "backup")]) == 0
    assert main(["restore", str(tmp_path / "backup"), str(tmp_path / "restored")]) == 0
    with Archive.open(tmp_path / "restored") as restored:
        _assert_same(_tables(restored), before)  # the backup event came after the snapshot
    assert _comparison_files(tmp_path / "restored") == _comparison_files(source.root)
    with Archive.open(tmp_path / "team") as team:
        assert _tables(team)["events"][-1]["type"] == "backup"
