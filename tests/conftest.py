"""Shared fixtures. Qt tests need QT_QPA_PLATFORM=offscreen before Qt is imported."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HERITAGE_USER", "tester")
# The log file, the default archive and caches of the tests (and of the CLIs they start) go to a
# folder of this run, never into the real user's ~/.local (platformdirs follows XDG_* on Linux).
_USER_DIRS = Path(tempfile.mkdtemp(prefix="heritage-tests-"))
atexit.register(shutil.rmtree, _USER_DIRS, True)
for _var in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_USER_DIRS / _var.lower())

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the shared test corpus (../shared/corpus) is not present in this checkout")
    return CORPUS


# -- the catalogue engine under test ----------------------------------------------------------
# HERITAGE_TEST_CATALOGUE=postgres runs the suite on team archives: every Archive.create in a test
# (without a catalogue of its own) makes one on a fresh database of a throwaway PostgreSQL server,
# one server per session. Tests that poke SQLite's internals are marked sqlite_only and skipped.
ENGINE = os.environ.get("HERITAGE_TEST_CATALOGUE", "sqlite")


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """A throwaway PostgreSQL server (tests.archive.pg), or a skip saying why there is none."""
    from tests.archive.pg import Server, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): install postgresql (scripts/system-deps.sh)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    server = Server(bin_dir).start()
    previous = os.environ.get("PGUSER")
    os.environ["PGUSER"] = "postgres"  # subprocesses (the CLI, workers) open team archives as this user too
    yield server
    if previous is None:
        os.environ.pop("PGUSER", None)
    else:
        os.environ["PGUSER"] = previous
    server.stop()


@pytest.fixture(autouse=True)
def _catalogue_engine(request: pytest.FixtureRequest) -> None:
    if ENGINE != "postgres":
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("pokes the SQLite catalogue's internals (sqlite_only)")
    server = request.getfixturevalue("pg_server")
    from archive.service import Archive

    original = Archive.__dict__["create"].__func__
    monkeypatch = request.getfixturevalue("monkeypatch")

    def create(cls, root, agent=None, catalogue=None):  # type: ignore[no-untyped-def]
        return original(cls, root, agent, catalogue or server.new_database(server.catalogue_template()))

    monkeypatch.setattr(Archive, "create", classmethod(create))


_SQLITE_INTERNALS = (".db.", ".db)", "archive.db", "sqlite3", "catalogue.sqlite", "CATALOGUE", "PRAGMA", "-wal",
                     "SQLiteCatalogue", "sqlite_db", "sqlite_files", "items_fts")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks sqlite_only the tests whose own code reaches into SQLite (the catalogue file, its
    PRAGMAs, WAL, sqlite3, ``archive.db``): they test that engine, not the archive's behaviour."""
    import inspect

    def source(function: object) -> str:
        try:
            return inspect.getsource(function)  # type: ignore[arg-type]
        except (OSError, TypeError):
            return ""

    def helpers(function: object, extra: tuple[str, ...] = ()) -> list[object]:
        """Functions and fixtures of ``function``'s module that it names."""
        code = getattr(function, "__code__", None)
        names = set(code.co_names if code else ()) | set(extra)
        module = getattr(inspect.getmodule(function), "__dict__", {})
        found = [module[n] for n in names if inspect.isfunction(module.get(n))]
        found += [module[n].__wrapped__ for n in names
                  if inspect.isfunction(getattr(module.get(n), "__wrapped__", None))]
        return [f for f in found if getattr(f, "__module__", "").startswith("tests.")]  # our own code only

    def reaches_sqlite(function: object, extra: tuple[str, ...] = ()) -> bool:
        # The test, and the helpers it calls, three levels down (helpers call helpers).
        seen, todo = set(), [(function, extra, 0)]
        while todo:
            fn, names, depth = todo.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if any(marker in source(fn) for marker in _SQLITE_INTERNALS):
                return True
            if depth < 3:
                todo += [(h, (), depth + 1) for h in helpers(fn, names)]
        return False

    for item in items:
        function = getattr(item, "function", None)
        fixtures = tuple(getattr(item, "fixturenames", ()))
        if "pg_server" in fixtures:
            continue  # engine-aware: it compares the engines and runs on every pass
        if function is not None and reaches_sqlite(function, fixtures):
            item.add_marker(pytest.mark.sqlite_only)
