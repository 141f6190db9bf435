"""One door into the archive: SQL only in the catalogue layer, the commit sequence written once,
and the app reaching the archive only through its public surface."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from archive import Archive, DuplicateImport, ImportOptions
from archive.catalogue import SQLiteCatalogue
from archive.catalogue.base import Catalogue
from archive.catalogue.sqlite_sql import SORT_COLUMNS
from archive.commit import commit_staged
from archive.search import SORTS

from .helpers import write_box_ply

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "archive"
# Where SQL may run: the catalogue engines, and the schema's migrations.
SQL_HOMES = ("archive/catalogue/", "archive/schema.py")
SQL_METHODS = {"execute", "executemany", "executescript"}
PUBLIC_ARCHIVE = {"archive", "archive.fields", "archive.text", "archive.errors", "archive.publish", "archive.demo"}


def _sources(folder: Path) -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.py"))]


def _sql_calls(tree: ast.AST) -> list[int]:
    """Lines that run SQL: cursor/connection methods, sqlite-utils' ``db.query``, ``sqlite3.connect``,
    or any use of a raw connection (``.conn``). Docstrings and comments do not count."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "conn":
            lines.append(node.lineno)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, ast.unparse(node.func.value)
        if (method in SQL_METHODS or (method == "query" and receiver.endswith("db"))
                or (method == "connect" and receiver == "sqlite3")):
            lines.append(node.lineno)
    return sorted(lines)


def test_sql_runs_only_in_the_catalogue_layer():
    offenders = [f"{name}:{n}" for name, text in _sources(ARCHIVE) if not name.startswith(SQL_HOMES)
                 for n in _sql_calls(ast.parse(text))]
    assert offenders == []


def test_the_sql_finder_finds_sql():
    code = "db.execute('x')\nself.db.query('x')\nsqlite3.connect(p)\nc = archive.db.conn\ntree.query(q)\n"
    assert _sql_calls(ast.parse(code)) == [1, 2, 3, 4]


def test_files_are_placed_only_by_the_one_commit_sequence():
    placing = [name for name, text in _sources(ARCHIVE) if ".store.place(" in text]
    assert placing == ["archive/commit.py"]


def test_the_sqlite_engine_implements_the_catalogue_contract():
    wanted = {name for name in vars(Catalogue) if not name.startswith("_")} - {"read_only"}
    missing = sorted(name for name in wanted if not callable(getattr(SQLiteCatalogue, name, None)))
    assert missing == []
    assert isinstance(SQLiteCatalogue.read_only, property)


def test_every_sort_has_a_column():
    assert tuple(SORT_COLUMNS) == SORTS


def _archive_modules(tree: ast.AST) -> set[str]:
    """Every archive module a source file imports (``from archive import store`` names one too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "archive":
                found |= {f"archive.{a.name}" for a in node.names
                          if (ARCHIVE / a.name).is_dir() or (ARCHIVE / f"{a.name}.py").is_file()}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.split(".")[0] == "archive"}


def _is_public(module: str) -> bool:
    return any(module == p or (p != "archive" and module.startswith(p + ".")) for p in PUBLIC_ARCHIVE)


def test_the_app_imports_only_the_public_archive():
    offenders = {name: sorted(private) for name, text in _sources(ROOT / "heritage_app")
                 if (private := {m for m in _archive_modules(ast.parse(text)) if not _is_public(m)})}
    assert offenders == {}


def test_the_app_calls_no_private_archive_method():
    pattern = re.compile(r"\b(archive|Archive)\._[a-z]")
    offenders = [f"{name}:{n}" for name, text in _sources(ROOT / "heritage_app")
                 for n, line in enumerate(text.splitlines(), start=1) if pattern.search(line)]
    assert offenders == []


# -- the commit sequence ---------------------------------------------------------------------
@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def _leftovers(archive: Archive) -> list[str]:
    """Whatever a commit could leave behind: folders in objects/, files in staging/."""
    stored = [p.relative_to(archive.root).as_posix() for p in archive.store.objects.glob("*/*")]
    staged = [p.name for p in archive.store.staging.rglob("*") if p.is_file() and p.suffix != ".lock"]
    return sorted(stored + staged)


def test_a_failing_write_leaves_no_files_and_no_rows(archive, tmp_path):
    staged = [archive.store.stage([(write_box_ply(tmp_path / "in", f"{n}.ply", size=n + 1), "box.ply")])
              for n in range(2)]

    def write() -> None:
        archive.add_item({"kind": "dish", "title_vi": "Bánh"})
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        commit_staged(archive, staged, write)
    assert archive.count() == 0
    assert _leftovers(archive) == []


def test_an_asset_the_write_leaves_out_is_removed_and_the_rest_kept(archive, tmp_path):
    keep, drop = (archive.store.stage([(write_box_ply(tmp_path / "in", f"{n}.ply", size=n + 1), "box.ply")])
                  for n in range(2))

    def write() -> int:
        item_id = archive.add_item({"kind": "relic", "title_vi": "Chuông"})
        archive.catalogue.insert_asset({"item_id": item_id, "uid": keep.uid, "storage_dir": keep.storage_dir,
                                        "role": "master", "format": "ply", "geometry": "mesh", "main_file": "box.ply",
                                        "imported_at": "2024-01-01T00:00:00+00:00", "textured": 0,
                                        "vertex_colors": 0}, [])
        return item_id

    item_id = commit_staged(archive, [keep, drop], write)
    assert archive.get(item_id)["assets"][0]["storage_dir"] == keep.storage_dir
    assert _leftovers(archive) == [keep.storage_dir]


def test_bytes_imported_meanwhile_by_another_process_are_refused_under_the_write_lock(archive, tmp_path, monkeypatch):
    scan = write_box_ply(tmp_path / "in")
    other = Archive.open(archive.root)  # another process: its own connection
    begin = archive.catalogue.transaction

    def import_elsewhere_first():
        other.import_paths([scan], ImportOptions(isolate=False))  # commits just before our write lock
        return begin()

    monkeypatch.setattr(archive.catalogue, "transaction", import_elsewhere_first)
    report = archive.import_paths([scan], ImportOptions(isolate=False))
    other.close()
    assert report.imported == []
    assert [e["type"] for e in report.errors] == [DuplicateImport.__name__]
    assert "meanwhile" in report.errors[0]["error"]
    assert archive.count() == 1
    assert len(_leftovers(archive)) == 1  # only the other import's folder
