"""Catalogue schema, as a registry of migrations (sqlite-utils ``Migrations``).

Never edit a migration that has shipped: add a new one. Columns of list fields hold JSON
arrays; the full-text table holds accent-folded text (see ``archive.text.fold``).
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from .fields import ASSET_FIELDS, ITEM_FIELDS, Field
from .vocab import SEED_VOCABULARIES

migrations = Migrations("heritage")

# Columns added by later migrations; 001 must keep creating exactly what it first shipped.
ADDED_LATER = {"up_axis"}

_SQL_TYPES = {"int": "INTEGER", "float": "REAL", "bool": "INTEGER", "link": "INTEGER"}


def _column(field: Field) -> str:
    sql_type = _SQL_TYPES.get(field.type, "TEXT")
    extra = ""
    if field.name == "accession":
        extra = " NOT NULL UNIQUE"
    elif field.name == "kind":
        extra = " NOT NULL CHECK (kind IN ('relic','dish','other'))"
    elif field.name == "status":
        extra = " NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','reviewed','published'))"
    elif field.type == "link":
        extra = " REFERENCES items(id) ON DELETE SET NULL"
    return f"{field.name} {sql_type}{extra}"


@migrations(name="001_initial")
def _initial(db: Database) -> None:
    item_columns = ",\n  ".join(_column(f) for f in ITEM_FIELDS)
    asset_columns = ",\n  ".join(_column(f) for f in ASSET_FIELDS if f.name not in ADDED_LATER)
    db.executescript(
        f"""
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  {item_columns},
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX items_kind ON items(kind);
CREATE INDEX items_status ON items(status);
CREATE INDEX items_period ON items(period);
CREATE INDEX items_culinary_line ON items(culinary_line);
CREATE INDEX items_title ON items(coalesce(title_vi, title_en) COLLATE NOCASE);
CREATE INDEX items_updated ON items(updated_at);

CREATE TABLE assets (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  uid TEXT NOT NULL UNIQUE,
  storage_dir TEXT NOT NULL UNIQUE,
  main_file TEXT NOT NULL,
  format TEXT NOT NULL,
  geometry TEXT NOT NULL,
  vertices INTEGER NOT NULL DEFAULT 0,
  faces INTEGER NOT NULL DEFAULT 0,
  points INTEGER NOT NULL DEFAULT 0,
  bbox_min TEXT,
  bbox_max TEXT,
  textured INTEGER NOT NULL DEFAULT 0,
  vertex_colors INTEGER NOT NULL DEFAULT 0,
  textures TEXT NOT NULL DEFAULT '[]',
  warnings TEXT NOT NULL DEFAULT '[]',
  details TEXT NOT NULL DEFAULT '{{}}',
  {asset_columns},
  imported_at TEXT NOT NULL
);
CREATE INDEX assets_item ON assets(item_id);

CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  asset_id INTEGER NOT NULL REFERENCES assets(id),
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  UNIQUE (asset_id, path)
);
CREATE INDEX files_sha256 ON files(sha256);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  agent TEXT NOT NULL,
  type TEXT NOT NULL,
  item_id INTEGER,
  asset_id INTEGER,
  field TEXT,
  old_value TEXT,
  new_value TEXT,
  outcome TEXT NOT NULL DEFAULT 'success',
  detail TEXT
);
CREATE INDEX events_item ON events(item_id);

CREATE TABLE vocabulary (
  vocabulary TEXT NOT NULL,
  value TEXT NOT NULL,
  label_en TEXT,
  folded TEXT NOT NULL,
  PRIMARY KEY (vocabulary, value)
);
CREATE UNIQUE INDEX vocabulary_folded ON vocabulary(vocabulary, folded);

CREATE VIRTUAL TABLE items_fts USING fts5(
  text, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
"""
    )
    from .text import fold

    rows = [
        (name, value, label, fold(value))
        for name, entries in SEED_VOCABULARIES.items()
        for value, label in entries
    ]
    db.conn.executemany(
        "INSERT INTO vocabulary (vocabulary, value, label_en, folded) VALUES (?, ?, ?, ?)", rows
    )


@migrations(name="002_asset_up_axis")
def _asset_up_axis(db: Database) -> None:
    """Which way is up in the master (y or z); export and viewing turn it upright."""
    db.execute("ALTER TABLE assets ADD COLUMN up_axis TEXT")


@migrations(name="003_sort_title")
def _sort_title(db: Database) -> None:
    """An accent-folded title to sort by, so "Ấn vàng" sorts among the A's, not after Z."""
    from .records import sort_title

    db.execute("ALTER TABLE items ADD COLUMN sort_title TEXT")
    rows = db.execute("SELECT id, title_vi, title_en, accession FROM items").fetchall()
    db.conn.executemany("UPDATE items SET sort_title = ? WHERE id = ?",
                        [(sort_title({"title_vi": v, "title_en": e, "accession": a}), i) for i, v, e, a in rows])
    db.execute("DROP INDEX IF EXISTS items_title")
    db.execute("CREATE INDEX items_sort_title ON items(sort_title)")


@migrations(name="004_item_version")
def _item_version(db: Database) -> None:
    """A number every write to an item bumps: an editor that loaded version N learns, when it
    saves, that someone else saved in between (optimistic concurrency; see Archive.update)."""
    db.execute("ALTER TABLE items ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
