"""A throwaway PostgreSQL server for tests, started from the installed server binaries.

One server per test session (``Server.start``), a fresh database per team archive
(``Server.new_database``). initdb refuses to run as root, so as root the server runs as the
``postgres`` system user (created by the Debian package) or else ``nobody``, in a private
folder under /tmp that user owns. fsync is off: the data is thrown away.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: $PG_BIN, the newest /usr/lib/postgresql/*/bin, or PATH."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for folder in candidates:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists for the test server")


class Server:
    def __init__(self, bin_dir: Path, durable: bool = False):
        """``durable``: a commit is written out before it is acknowledged, so that it survives
        ``crash`` (the fault tests' server); the others skip that for speed."""
        self.bin_dir = bin_dir
        self.durable = durable
        self.user = _run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="heritage-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._template = ""
        if self.user is not None:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *args: str) -> None:
        kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid} if self.user else {}
        done = subprocess.run([str(self.bin_dir / args[0]), *args[1:]], capture_output=True, text=True,
                              cwd=self.folder, check=False, **kwargs)  # type: ignore[call-overload]
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> Server:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale")
        self.start_again()
        return self

    def start_again(self) -> None:
        """Start the server on its data (after ``crash``), on the same port."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c full_page_writes=off -c max_connections=200")
        options += "" if self.durable else " -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-o", options, "start")

    def crash(self) -> None:
        """Stop the server at once, as a crash of the server would (its data stays: ``start_again``)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A URL without credentials, as a team.json holds (the user comes from PGUSER)."""
        return f"postgresql://127.0.0.1:{self.port}/{database}"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str = "template0") -> str:
        """A fresh database (empty, or a copy of ``template``); returns its URL (without credentials)."""
        import psycopg

        name = f"archive_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def catalogue_template(self) -> str:
        """The name of a database holding an unused catalogue, made once: copies of it are made in a
        third of the time an empty database takes to get its schema."""
        if not self._template:
            from archive.catalogue.postgres import PostgresCatalogue

            url = self.new_database()
            PostgresCatalogue.open(url.replace("://", f"://{SUPERUSER}@"), create=True).close()
            self._template = url.rsplit("/", 1)[1]
        return self._template


def own_durable_server() -> Iterator[Server]:
    """A server of a test module's own, for tests that crash and restart it (fsync on, so a crash
    keeps what was committed); skips when the server binaries are not installed. Use it as
    ``yield from own_durable_server()`` in a module-scoped fixture."""
    import pytest

    pytest.importorskip("psycopg")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): install postgresql (scripts/system-deps.sh)")
    own = Server(bin_dir, durable=True).start()
    yield own
    own.stop()


@contextmanager
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port on which connections are accepted and never answered (a hung server or network), and
    the accepted sockets, one a connection attempt: what a catalogue or its change listener meets
    when the network hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], held
    finally:
        stop.set()
        thread.join()
        for sock in held:
            sock.close()
        listener.close()
