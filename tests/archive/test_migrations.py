"""An archive made by an older version opens and is brought up to date, data intact."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
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


# -- an upgraded catalogue is the catalogue a new archive gets ---------------------------------

def _schema(db: Database) -> dict[str, object]:
    """Every table's columns and indexes, and the SQL that defines each object (the FTS table's
    tokenizer and prefixes included); no data, no timestamps."""
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    shape: dict[str, object] = {}
    for table in tables:
        indexes = sorted(tuple(row) for row in db.execute(f"PRAGMA index_list('{table}')"))
        shape[table] = {
            "columns": db.execute(f"PRAGMA table_xinfo('{table}')").fetchall(),
            "indexes": [(index, db.execute(f"PRAGMA index_xinfo('{index[1]}')").fetchall()) for index in indexes],
        }
    shape["sqlite_master"] = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    return shape


def _old_archive(root, stop_before: str) -> None:
    root.mkdir()
    FileStore(root).create_dirs()
    db = Database(sqlite3.connect(root / "catalogue.sqlite", isolation_level=None))
    migrations.apply(db, stop_before=stop_before)
    db.conn.close()


def test_every_migration_is_a_fixed_step_that_never_reads_the_field_list():
    import ast
    import inspect

    from archive import schema

    imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(schema)))
                if isinstance(node, ast.ImportFrom)}
    assert "fields" not in imported and "archive.fields" not in imported


@pytest.mark.parametrize("stop_before", [m.name for m in migrations._migrations[1:]])
def test_an_upgraded_catalogue_equals_a_new_one(tmp_path, stop_before):
    _old_archive(tmp_path / "old", stop_before)
    with Archive.open(tmp_path / "old") as upgraded, Archive.create(tmp_path / "new") as fresh:
        assert _schema(upgraded.db) == _schema(fresh.db)
        fts = fresh.db.execute("SELECT sql FROM sqlite_master WHERE name = 'items_fts'").fetchone()[0]
        assert "remove_diacritics 2" in fts


# -- a new field, added the documented way -----------------------------------------------------

NEW_FIELD_LINE = '    Field("glaze_colour", "text", "Glaze colour", "Màu men", RELIC, searchable=True),\n'
NEW_MIGRATION = '''

@migrations(name="005_item_glaze_colour")
def _item_glaze_colour(db: Database) -> None:
    db.execute("ALTER TABLE items ADD COLUMN glaze_colour TEXT")
'''

# Runs in a fresh interpreter on the edited copy of ``archive``: creates a new archive, upgrades
# one made before the new migration, saves and reads the new field in both, and prints what it saw.
NEW_FIELD_SCRIPT = '''
import json, sqlite3, sys
from pathlib import Path
from sqlite_utils import Database
import archive
from archive import Archive, SearchQuery
from archive.schema import migrations
from archive.store import FileStore
from tests.archive.test_migrations import _schema

work = Path(sys.argv[1])
assert Path(archive.__file__).parent == work / "edited" / "archive", archive.__file__
old = work / "old"
old.mkdir()
FileStore(old).create_dirs()
db = Database(sqlite3.connect(old / "catalogue.sqlite", isolation_level=None))
migrations.apply(db, stop_before="005_item_glaze_colour")
db.execute("INSERT INTO items (accession, kind, title_vi, status, created_at, updated_at, sort_title)"
           " VALUES ('A-1', 'relic', 'Bình', 'draft', 't', 't', 'binh')")
db.conn.close()
seen = {}
with Archive.create(work / "new") as new, Archive.open(old) as upgraded:
    created = new.add_item({"accession": "N-1", "kind": "relic", "title_vi": "Chén", "glaze_colour": "men lam"})
    item = upgraded.find_by_accession("A-1")
    upgraded.update(item, {"glaze_colour": "men ngọc"}, expected_version=1)
    seen = {
        "new": new.get(created)["glaze_colour"],
        "upgraded": upgraded.get(item)["glaze_colour"],
        "found": new.search_ids(SearchQuery(text="men lam")) == [created],
        "same_schema": _schema(new.db) == _schema(upgraded.db),
    }
print(json.dumps(seen))
'''


def _edited_copy(repo: Path, target: Path) -> None:
    """The archive package as a newcomer leaves it: one line in fields.py, one migration in schema.py."""
    shutil.copytree(repo / "archive", target / "archive", ignore=shutil.ignore_patterns("__pycache__"))
    fields_py = target / "archive" / "fields.py"
    text = fields_py.read_text(encoding="utf-8")
    end_of_item_fields = "\n)\n\nASSET_FIELDS"
    assert text.count(end_of_item_fields) == 1
    fields_py.write_text(text.replace(end_of_item_fields, "\n" + NEW_FIELD_LINE.rstrip("\n") + end_of_item_fields),
                         encoding="utf-8")
    schema_py = target / "archive" / "schema.py"
    schema_py.write_text(schema_py.read_text(encoding="utf-8") + NEW_MIGRATION, encoding="utf-8")


def test_a_field_added_the_documented_way_works_in_new_and_old_archives(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    _edited_copy(repo, tmp_path / "edited")
    # The edited copy comes first on the path; the rest of the project (workers, tests) from the repo.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "edited"), str(repo)])}
    run = subprocess.run([sys.executable, "-c", NEW_FIELD_SCRIPT, str(tmp_path)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen == {"new": "men lam", "upgraded": "men ngọc", "found": True, "same_schema": True}
