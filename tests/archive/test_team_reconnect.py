"""A team archive after its catalogue's server restarted, ended a session, or went silent
(archive.catalogue.postgres_connect): the next operation works by itself on a new connection, a
write cut by the restart is one clear error and leaves nothing, the change listener listens again,
and a server that never answers is given up in seconds with "cannot be reached".

The restart tests run on the PostgreSQL pass with a server of their own, which they crash and
restart. The silent-server test needs no server (a tiny listener that accepts and never answers)
and runs on both passes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, StorageError

from .test_change_feed import wait_pending

psycopg = pytest.importorskip("psycopg")
on_postgres = pytest.mark.skipif(os.environ.get("HERITAGE_TEST_CATALOGUE", "sqlite") != "postgres",
                                 reason="server restarts run on the PostgreSQL pass (make test-postgres)")


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A PostgreSQL server of this module's own: the tests crash and restart it."""
    from .pg import own_durable_server

    yield from own_durable_server()


@pytest.fixture
def archive(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Archive]:
    """A team archive holding one dish (id 1), open as user "an"."""
    monkeypatch.setenv("PGUSER", "postgres")
    root = tmp_path / "share" / "team"
    with Archive.create(root, agent="an", catalogue=server.new_database(server.catalogue_template())) as opened:
        opened.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Phở"})
        yield opened


def restart(server: Any) -> None:
    server.crash()
    server.start_again()


def edits(archive: Archive, item_id: int) -> int:
    return sum(1 for e in archive.history(item_id) if e["type"] == "edit")


# -- the next operation reconnects by itself ---------------------------------------------------------
@on_postgres
def test_the_first_read_after_a_server_restart_just_works(archive: Archive, server: Any):
    restart(server)  # the archive's connection is dead and does not know it yet
    assert archive.count() == 1
    restart(server)
    assert archive.get(1)["title_vi"] == "Phở"
    restart(server)
    assert archive.search_ids() == [1]


@on_postgres
def test_the_first_save_after_a_server_restart_just_works(archive: Archive, server: Any):
    restart(server)
    archive.update(1, {"title_en": "Noodle soup"})
    assert archive.get(1)["title_en"] == "Noodle soup" and edits(archive, 1) == 1


@on_postgres
def test_a_session_the_server_ended_is_replaced_at_the_next_read(archive: Archive, server: Any):
    """An administrator ended it, or the server's idle_session_timeout did."""
    pid = archive.catalogue.conn.info.backend_pid  # type: ignore[attr-defined]
    with psycopg.connect(server.admin_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert archive.count() == 1


@on_postgres
def test_a_save_cut_by_a_restart_is_one_clear_error_and_leaves_nothing(archive: Archive, server: Any):
    catalogue = archive.catalogue
    log_event = catalogue.log_event

    def restart_then_log(values: Any) -> None:
        restart(server)  # the item's row is updated in the transaction; its event is next
        log_event(values)

    catalogue.log_event = restart_then_log  # type: ignore[method-assign]
    with pytest.raises(StorageError, match="cannot be reached.*nothing was changed") as said:
        archive.update(1, {"title_en": "Lost"})
    catalogue.log_event = log_event  # type: ignore[method-assign]
    assert "psycopg" not in str(said.value) and str(said.value).count("cannot be reached") == 1
    assert archive.get(1)["title_en"] in (None, "")  # the first call after the error works…
    assert edits(archive, 1) == 0  # …and nothing of the change is there
    archive.update(1, {"title_en": "Kept"})
    assert archive.get(1)["title_en"] == "Kept" and edits(archive, 1) == 1


@on_postgres
def test_a_transaction_ended_by_the_idle_in_transaction_timeout_is_a_clear_error(archive: Archive):
    """The server's idle_in_transaction_session_timeout ended the session during a long step; psycopg
    says so with an InternalError, which must not escape as a driver error."""
    catalogue = archive.catalogue
    log_event = catalogue.log_event

    def idle_then_log(values: Any) -> None:
        catalogue._x("SET LOCAL idle_in_transaction_session_timeout = '200ms'")  # type: ignore[attr-defined]
        time.sleep(0.6)  # a long step between two statements (placing files on a slow share)
        log_event(values)

    catalogue.log_event = idle_then_log  # type: ignore[method-assign]
    with pytest.raises(StorageError, match="ended the connection because a change waited too long.*nothing was"):
        archive.update(1, {"title_en": "Lost"})
    catalogue.log_event = log_event  # type: ignore[method-assign]
    assert archive.get(1)["title_en"] in (None, "") and edits(archive, 1) == 0


@on_postgres
def test_a_connection_left_inside_a_failed_transaction_does_not_block_later_reads(archive: Archive):
    conn = archive.catalogue.conn  # type: ignore[attr-defined]
    conn.execute("BEGIN")  # as a statement run outside the engine's transaction() would leave it
    with pytest.raises(psycopg.errors.DivisionByZero):
        conn.execute("SELECT 1 / 0")
    assert archive.count() == 1


# -- the change listener ------------------------------------------------------------------------------
@on_postgres
def test_the_change_listener_notices_a_restart_at_its_next_look_and_listens_again(archive: Archive, server: Any):
    watcher = archive.watch_changes()
    try:
        assert watcher.listening and not watcher.pending()
        socket_before = watcher.fileno()
        restart(server)
        time.sleep(0.2)  # the server's goodbye has reached the socket
        assert watcher.pending() and not watcher.listening  # a change may have been missed: look
        assert watcher.pending()  # the next look starts listening again, on the listener's own thread
        deadline = time.monotonic() + 10
        while not watcher.listening and time.monotonic() < deadline:
            assert watcher.pending()  # not listening yet: look on the timer
            time.sleep(0.02)
        assert watcher.listening and not watcher.pending()
        with Archive.open(archive.root, agent="binh") as other:
            other.update(1, {"title_en": "Changed elsewhere"})
        assert wait_pending(watcher)  # a notice on the new connection
        assert socket_before is not None and watcher.fileno() is not None
    finally:
        watcher.close()


# -- a silent or unreachable server ------------------------------------------------------------------
def tcp_options(conn: Any) -> dict[str, int]:
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    try:
        return {"keepalive": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                "idle": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                "user_timeout": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)}
    finally:
        sock.close()


@on_postgres
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux TCP socket options")
def test_every_connection_of_the_archive_probes_a_silent_server(archive: Archive):
    """Keepalive probes and a user timeout on the sockets themselves: a cable pulled or a VPN dropped
    is noticed by the kernel in seconds, on the catalogue's, the listener's and a staging claim's."""
    from archive.catalogue import postgres_connect

    watcher = archive.watch_changes()
    claim = archive.catalogue.staging_sessions().claim()
    try:
        for conn in (archive.catalogue.conn, watcher._conn, claim._conn):  # type: ignore[attr-defined]
            assert tcp_options(conn) == {"keepalive": 1, "idle": postgres_connect.KEEPALIVE_IDLE_S,
                                         "user_timeout": postgres_connect.USER_TIMEOUT_MS}
    finally:
        claim.release()
        watcher.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on which connections are accepted and never answered (a hung server or network)."""
    from .pg import silent_server

    with silent_server() as (port, _accepted):
        yield port


def test_a_server_that_never_answers_is_given_up_in_seconds_and_said_plainly(silent_server: int):
    from archive.catalogue import postgres_connect
    from archive.catalogue.postgres import PostgresCatalogue

    began = time.monotonic()
    with pytest.raises(StorageError, match=f"cannot be reached at 127.0.0.1:{silent_server}/team.*nothing was"):
        PostgresCatalogue.open(f"postgresql://someone@127.0.0.1:{silent_server}/team")
    waited = time.monotonic() - began
    assert postgres_connect.CONNECT_TIMEOUT_S - 0.5 <= waited < postgres_connect.CONNECT_TIMEOUT_S + 3


def test_a_timeout_written_in_the_url_wins(silent_server: int):
    """A slow link may need longer: ?connect_timeout=2 in team.json's URL is obeyed."""
    from archive.catalogue.postgres_connect import connect

    began = time.monotonic()
    with pytest.raises(StorageError, match="cannot be reached"):
        connect(f"postgresql://someone@127.0.0.1:{silent_server}/team?connect_timeout=2")
    assert time.monotonic() - began < 3.5


# In a network namespace of its own (only loopback, taken down mid-session: every packet is dropped
# silently, as with a pulled cable), a server on loopback; prints how long a read and the change
# listener took to give up.
SILENT_NETWORK = """
import select, subprocess, sys, time
sys.path.insert(0, {root!r})
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
from tests.archive.pg import Server, find_bin_dir
from archive.catalogue.postgres import PostgresCatalogue
from archive.catalogue.postgres_notify import ChangeListener
from archive.errors import StorageError
server = Server(find_bin_dir()).start()
try:
    url = server.admin_url(server.new_database().rsplit("/", 1)[1])
    catalogue = PostgresCatalogue.open(url, create=True)
    listener = ChangeListener(url)
    assert catalogue.count_items() == 0 and listener.listening and not listener.pending()
    subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
    began = time.monotonic()
    try:
        catalogue.count_items()
        print("read answered")
    except StorageError as exc:
        print(f"read {{time.monotonic() - began:.1f}} {{exc}}", flush=True)
    select.select([listener.fileno()], [], [], 60)  # the kernel gives up on the idle socket
    print(f"listener {{time.monotonic() - began:.1f}} {{listener.pending()}} {{listener.listening}}", flush=True)
finally:
    subprocess.run(["ip", "link", "set", "lo", "up"])
    server.stop()
"""


def _can_unshare_the_network() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0


@on_postgres
@pytest.mark.skipif(not _can_unshare_the_network(), reason="needs a network namespace of its own (root, unshare, ip)")
def test_a_server_gone_silent_mid_session_is_given_up_in_seconds(tmp_path: Path):
    """Keepalives and the TCP user timeout at work: without them the read waits the system's
    retransmissions out (a quarter of an hour) and the listener never learns its server is gone."""
    from archive.catalogue import postgres_connect

    from .faults import ROOT

    bound = postgres_connect.USER_TIMEOUT_MS / 1000 + 3
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", SILENT_NETWORK.format(root=str(ROOT))],
                          capture_output=True, text=True, timeout=120, check=False)
    lines = {line.split(" ", 1)[0]: line.split(" ") for line in done.stdout.splitlines()}
    assert "read" in lines and "listener" in lines, done.stdout + done.stderr[-3000:]
    assert float(lines["read"][1]) < bound and "cannot be reached" in done.stdout
    assert float(lines["listener"][1]) < 2 * bound and lines["listener"][2:] == ["True", "False"]
