"""Catalogue schema, as a registry of migrations (sqlite-utils ``Migrations``).

Never edit a migration that has shipped: add a new one. Each migration is a fixed step that
spells out its own columns and never reads ``archive.fields``: a new archive runs every step in
order and an old one runs the steps it lacks, so both end with the same tables. (Backfills may
call the live record functions, so old rows get the values new rows get.) Columns of list fields
hold JSON arrays; the full-text table holds accent-folded text (see ``archive.text.fold``).
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from .vocab import SEED_VOCABULARIES

migrations = Migrations("heritage")

# The first schema, frozen as it shipped: the item and asset columns are spelled out, never
# built from ``fields.ITEM_FIELDS``, so a field added there later (with its own migration)
# does not also appear here and break every new archive with "duplicate column".
INITIAL_SCHEMA = """
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  accession TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('relic','dish','other')),
  title_vi TEXT,
  title_en TEXT,
  other_names TEXT,
  description_vi TEXT,
  description_en TEXT,
  collections TEXT,
  tags TEXT,
  place_name TEXT,
  place_lat REAL,
  place_lon REAL,
  place_sensitive INTEGER,
  period TEXT,
  date_text TEXT,
  year_from INTEGER,
  year_to INTEGER,
  culture TEXT,
  creator TEXT,
  object_rights TEXT,
  model_licence TEXT,
  model_credit TEXT,
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','reviewed','published')),
  private_notes TEXT,
  storage_location TEXT,
  donor_contact TEXT,
  object_type TEXT,
  materials TEXT,
  techniques TEXT,
  height REAL,
  width REAL,
  depth REAL,
  dimension_unit TEXT,
  weight_kg REAL,
  inscriptions TEXT,
  provenance TEXT,
  condition TEXT,
  current_location TEXT,
  culinary_line TEXT,
  region TEXT,
  ingredients TEXT,
  steps TEXT,
  cooking_method TEXT,
  occasions TEXT,
  prep_minutes INTEGER,
  cook_minutes INTEGER,
  yield_text TEXT,
  practitioner TEXT,
  specimen TEXT,
  serving_vessel INTEGER REFERENCES items(id) ON DELETE SET NULL,
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
  details TEXT NOT NULL DEFAULT '{}',
  role TEXT,
  label TEXT,
  units TEXT,
  capture_method TEXT,
  capture_device TEXT,
  capture_date TEXT,
  operator TEXT,
  software TEXT,
  software_version TEXT,
  scale_reference TEXT,
  accuracy_mm REAL,
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


@migrations(name="001_initial")
def _initial(db: Database) -> None:
    db.executescript(INITIAL_SCHEMA)
    from .text import fold

    # The seed vocabularies are data, not schema: staff extend them, and a value added to the
    # seed later reaches only archives created after it.
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


@migrations(name="005_pending_links")
def _pending_links(db: Database) -> None:
    """A link to an item not in this archive yet (a bag's or a CSV's dish naming a serving vessel
    by accession): kept here instead of lost, and made when an item with that accession arrives."""
    db.execute("CREATE TABLE pending_links (item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
               " field TEXT NOT NULL, accession TEXT NOT NULL, PRIMARY KEY (item_id, field))")
    db.execute("CREATE INDEX pending_links_accession ON pending_links(accession)")


@migrations(name="006_research_records")
def _research_records(db: Database) -> None:
    """Research records (measurements, landmarks, annotations) tied to an item and to the master
    asset version whose coordinates and units their points are in; and an optional Getty AAT or
    Wikidata URI per vocabulary term (linked data). See ``archive.research``."""
    db.execute("""CREATE TABLE records (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('measurement','landmark','annotation')),
  measure TEXT CHECK (measure IN ('distance','polyline','angle','area')),
  points TEXT NOT NULL DEFAULT '[]',
  value REAL,
  unit TEXT,
  normal TEXT,
  title_vi TEXT,
  title_en TEXT,
  text_vi TEXT,
  text_en TEXT,
  view TEXT,
  public INTEGER NOT NULL DEFAULT 0,
  review TEXT NOT NULL DEFAULT 'ok' CHECK (review IN ('ok','needs_review')),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
)""")
    db.execute("CREATE INDEX records_item ON records(item_id)")
    db.execute("CREATE INDEX records_asset ON records(asset_id)")
    db.execute("ALTER TABLE vocabulary ADD COLUMN external_id TEXT")


@migrations(name="007_change_notices")
def _change_notices(db: Database) -> None:
    """Nothing to change here: on PostgreSQL this step adds the trigger that notifies other
    users' apps of new events; SQLite cannot notify another process, so apps poll the newest
    event id instead (the events table's primary key). Kept so both engines list the same steps."""


@migrations(name="008_search_lexemes")
def _search_lexemes(db: Database) -> None:
    """Nothing to change here: on PostgreSQL this step gives the text search a GIN index over
    each item's distinct words (``item_lexemes``, see ``archive.catalogue.postgres_sql``) in place
    of the trigram index; SQLite's full-text table already is one. Kept so both engines list the
    same steps."""


@migrations(name="009_comparisons")
def _comparisons(db: Database) -> None:
    """Saved scan comparisons (``archive.comparisons``): the reference asset version of an item,
    the version (of this or another item) measured against it, the parameters, the summary and
    the rigid transform. A comparison against a scan later deleted keeps its figures (the
    compared columns become NULL; ``compared`` still says what it was). The per-point deviations
    and the report are derived files (``derived/comparisons/<uid>/``)."""
    db.execute("""CREATE TABLE comparisons (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  compared_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
  compared_asset_id INTEGER REFERENCES assets(id) ON DELETE SET NULL,
  compared TEXT NOT NULL DEFAULT '{}',
  parameters TEXT NOT NULL DEFAULT '{}',
  summary TEXT NOT NULL DEFAULT '{}',
  transform TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
)""")
    db.execute("CREATE INDEX comparisons_item ON comparisons(item_id)")
    db.execute("CREATE INDEX comparisons_compared_item ON comparisons(compared_item_id)")


@migrations(name="010_search_postings")
def _search_postings(db: Database) -> None:
    """Nothing to change here: on PostgreSQL this step keeps each search token's items as compact
    id sets (``item_postings``, see ``archive.catalogue.postgres_postings``), so a search matching
    most of the catalogue reads a few rows; SQLite's full-text table already answers it. Kept so
    both engines list the same steps."""
