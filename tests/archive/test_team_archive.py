"""Team archives: a shared folder whose team.json names a PostgreSQL catalogue (archive.team,
archive.catalogue.postgres). Each test gets its own database on the session's throwaway server."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archive.errors import EditConflict, StorageError
from archive.schema import migrations
from archive.search import SearchQuery
from archive.service import Archive
from heritage_app.cli import main

psycopg = pytest.importorskip("psycopg")

ITEMS = [
    {"kind": "dish", "title_vi": "Bún bò Huế", "collections": ["Ẩm thực Huế"], "materials": []},
    {"kind": "dish", "title_vi": "Bánh bèo chén", "title_en": "Water fern cakes", "collections": ["Ẩm thực Huế"]},
    {"kind": "dish", "title_vi": "Bánh khoái", "description_vi": "bánh giòn, ăn với nước lèo"},
    {"kind": "relic", "title_vi": "Ấn vàng triều Nguyễn", "period": "Nguyễn - Gia Long", "status": "reviewed"},
    {"kind": "relic", "title_vi": "Chén ngự", "title_en": "Imperial bowl", "description_en": "bowl_rim with glaze"},
    {"kind": "relic", "title_vi": "Đỉnh đồng", "title_en": "Bronze tripod", "period": "Tây Sơn"},
    {"kind": "other", "title_en": "Bún bún bún noodles", "status": "published"},
    {"kind": "dish", "title_vi": "Cơm hến", "description_vi": "hến, cơm nguội, bún"},
]
QUERIES = ["bun", "bún bò", "BUN BO HUE", "banh", "ban", "b", "hen", "com hen", "nguyen", "an vang", "dinh dong",
           "bowl", "bowl rim", "bowl_rim", "rim", "chen", "water fern", "nuoc leo", "zzz", "", "bún bún"]


def _fill(archive: Archive) -> None:
    archive.add_items(ITEMS)
    archive.add_item({"kind": "dish", "title_vi": "Bún hến", "collections": ["Chợ Đông Ba"]})


@pytest.fixture
def team(pg_server: Any, tmp_path: Path) -> Archive:
    archive = Archive.create(tmp_path / "team", catalogue=pg_server.new_database())
    yield archive
    archive.close()


def test_init_writes_settings_without_credentials_and_opens_like_any_archive(pg_server: Any, tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture[str]):
    url = pg_server.new_database().replace("://", "://postgres:secret@")
    root = tmp_path / "share" / "archive"
    assert main(["init", "--catalogue", url, str(root)]) == 0
    settings = json.loads((root / "team.json").read_text())
    assert "postgres" not in settings["catalogue"].split("//")[1].split("/")[0]
    assert "secret" not in (root / "team.json").read_text()
    assert {"derived", "objects", "staging", "team.json"} <= {p.name for p in root.iterdir()}
    assert not (root / "catalogue.sqlite").exists()
    with Archive.open(root) as archive:
        item = archive.add_item({"kind": "dish", "title_vi": "Bún bò Huế"})
    capsys.readouterr()
    assert main(["--archive", str(root), "search", "bun bo", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("["):])[0]["id"] == item


def test_init_refuses_a_database_that_holds_something_else(pg_server: Any, tmp_path: Path):
    url = pg_server.new_database()
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE payroll (id int)")
    with pytest.raises(StorageError, match="is not empty .*payroll"):
        Archive.create(tmp_path / "new", catalogue=url)
    assert not (tmp_path / "new").exists()  # the folder is left as it was


def test_init_refuses_the_catalogue_of_another_archive(team: Archive, tmp_path: Path):
    team.add_item({"kind": "dish", "title_vi": "Bún"})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StorageError, match="already holds an archive's catalogue"):
        Archive.create(empty, catalogue=team.catalogue.url)
    assert list(empty.iterdir()) == []


def test_settings_with_a_password_are_refused(tmp_path: Path):
    (tmp_path / "team.json").write_text(json.dumps({"catalogue": "postgresql://u:pw@host/db"}))
    with pytest.raises(StorageError, match="without a password"):
        Archive.open(tmp_path)


def test_unreachable_server_is_a_plain_storage_error(tmp_path: Path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "team.json").write_text(json.dumps({"catalogue": f"postgresql://127.0.0.1:{port}/db"}))
    with pytest.raises(StorageError, match="^The catalogue server cannot be reached at 127.0.0.1"):
        Archive.open(tmp_path)


def test_a_lost_connection_is_replaced_at_the_next_read_or_save(team: Archive, pg_server: Any):
    item = team.add_item({"kind": "dish", "title_vi": "Bún"})
    pid = team.catalogue.conn.info.backend_pid
    with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert team.get(item)["title_vi"] == "Bún"  # a read runs again on a new connection (postgres_connect)
    with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [team.catalogue.conn.info.backend_pid])
    team.update(item, {"title_en": "Noodles"})  # so does a save: its BEGIN had not been sent
    assert team.get(item)["title_en"] == "Noodles"


def test_schema_steps_are_the_sqlite_migrations(team: Archive):
    from archive.catalogue.postgres_schema import STEPS

    assert [name for name, _step in STEPS] == [m.name for m in migrations._migrations]
    applied = team.catalogue._x("SELECT name FROM heritage_migrations ORDER BY name").fetchall()
    assert [r[0] for r in applied] == [m.name for m in migrations._migrations]


@pytest.mark.parametrize("sort", ["relevance", "title", "accession", "updated", "kind", "status", "period", "id"])
@pytest.mark.parametrize("descending", [False, True])
def test_search_gives_the_same_hits_in_the_same_order_as_sqlite(team: Archive, tmp_path: Path, sort: str,
                                                               descending: bool, monkeypatch: pytest.MonkeyPatch):
    # Both archives are filled a moment apart, and 'updated' has whole seconds: a second turning
    # between one archive's two writes and not the other's would order them differently.
    monkeypatch.setattr("archive.records.datetime", _FrozenClock)
    with _sqlite(tmp_path) as single:
        _fill(single)
        _fill(team)
        for text in QUERIES:
            for filters in ({}, {"kind": "dish"}, {"collection": "Ẩm thực Huế"}, {"period": "Tây Sơn"},
                            {"has_texture": False}, {"limit": 2, "offset": 1}):
                q = SearchQuery(text=text, sort=sort, descending=descending, **filters)
                assert team.search_ids(q) == single.search_ids(q), (text, filters)
        assert team.collections() == single.collections()
        ids = single.search_ids()
        assert team.rows(ids) == single.rows(ids)  # the clock stood still: even the times agree
        assert {row["updated_at"][:19] for row in team.rows(ids)} == {"2026-11-30T12:00:00"}


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return datetime(2026, 11, 30, 12, 0, 0, tzinfo=tz)


def _sqlite(tmp_path: Path) -> Archive:
    from archive.catalogue import SQLiteCatalogue
    from archive.store import FileStore

    root = tmp_path / "single"
    root.mkdir()
    FileStore(root).create_dirs()
    return Archive(root, SQLiteCatalogue.open(root / "catalogue.sqlite", create=True))


def test_edit_conflict_holds_between_two_clients(team: Archive):
    item = team.add_item({"kind": "dish", "title_vi": "Bún"})
    loaded = team.get(item)["version"]
    with Archive.open(team.root, agent="colleague") as other:
        other.update(item, {"title_vi": "Bún bò"}, expected_version=loaded)
    with pytest.raises(EditConflict) as raised:
        team.update(item, {"title_vi": "Bún hến"}, expected_version=loaded)
    assert raised.value.conflicts[0]["agent"] == "colleague"
    assert team.get(item)["title_vi"] == "Bún bò"


def test_writers_queue_behind_each_other(team: Archive):
    item = team.add_item({"kind": "dish", "title_vi": "Bún"})
    order: list[str] = []
    with Archive.open(team.root, agent="b") as other:
        def second() -> None:
            with other.catalogue.transaction():
                order.append("b starts")
        with team.catalogue.transaction():
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.3)
            team.update(item, {"title_vi": "Bún bò"})
            order.append("a commits")
        thread.join(10)
    assert order == ["a commits", "b starts"]


def test_backup_of_a_team_archive_is_a_single_user_archive(team: Archive, tmp_path: Path):
    _fill(team)
    team.update(1, {"title_en": "Hue beef noodles"})
    backup = team.backup(tmp_path / "backup")
    restored = Archive.restore(backup, tmp_path / "restored")
    with Archive.open(restored) as single:
        assert (restored / "catalogue.sqlite").is_file()
        ids = team.search_ids()
        assert single.search_ids() == ids
        assert single.rows(ids) == team.rows(ids)
        assert [single.history(i) for i in ids] == [team.history(i) for i in ids]
        assert single.search_ids(SearchQuery(text="hue")) == team.search_ids(SearchQuery(text="hue"))


def test_processes_importing_the_same_file_at_once_store_it_once(team: Archive, tmp_path: Path):
    import os
    import subprocess
    import sys

    from .helpers import write_box_ply

    scan = write_box_ply(tmp_path / "in")
    code = "import sys; from heritage_app.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    runs = [subprocess.Popen([sys.executable, "-c", code, "--archive", str(team.root), "import", str(scan)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert team.catalogue.asset_count() == 1, outputs
    assert team.count() == 1
    assert team.verify().ok
