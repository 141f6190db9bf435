"""An archive made by an older version opens and is brought up to date, data intact."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from archive import Archive, SearchQuery
from archive.schema import migrations
from archive.store import FileStore


def test_a_first_version_archive_is_migrated_on_open(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    FileStore(root).create_dirs()
    db = Database(sqlite3.connect(root / "catalogue.sqlite", isolation_level=None))
    migrations.apply(db, stop_before="002_asset_up_axis")
    db.execute("INSERT INTO items (accession, kind, title_vi, status, created_at, updated_at)"
               " VALUES ('A-1', 'relic', 'Ấn vàng', 'draft', 't', 't')")
    db.execute("INSERT INTO items (accession, kind, title_vi, status, created_at, updated_at)"
               " VALUES ('A-2', 'relic', 'Bình', 'draft', 't', 't')")
    db.conn.close()
    with Archive.open(root) as archive:
        assert [m.name for m in migrations.pending(archive.db)] == []
        titles = [archive.get(i)["title_vi"] for i in archive.search_ids(SearchQuery(sort="title"))]
        assert titles == ["Ấn vàng", "Bình"]
        columns = {c.name for c in archive.db["assets"].columns}
        assert "up_axis" in columns


def test_a_third_version_archive_gets_item_versions(tmp_path):
    root = tmp_path / "v3"
    root.mkdir()
    FileStore(root).create_dirs()
    db = Database(sqlite3.connect(root / "catalogue.sqlite", isolation_level=None))
    migrations.apply(db, stop_before="004_item_version")
    db.execute("INSERT INTO items (accession, kind, title_vi, status, created_at, updated_at, sort_title)"
               " VALUES ('A-1', 'relic', 'Ấn vàng', 'draft', 't', 't', 'an vang')")
    db.conn.close()
    with Archive.open(root) as archive:
        item_id = archive.find_by_accession("A-1")
        assert archive.get(item_id)["version"] == 1
        archive.update(item_id, {"title_en": "Golden seal"}, expected_version=1)
        assert archive.get(item_id)["version"] == 2
