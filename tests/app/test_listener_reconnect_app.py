"""The window while the change listener of a team archive connects again (issue 13): the listener
(archive.catalogue.postgres_notify) opens its new connection on a thread of its own and hands it
over through LiveRefresh.listeningAgain, so a server that accepts connections and never answers
(a hung network: each attempt waits out the connect timeout) never freezes the window.

The catalogue's own connection stays on the real test server; only the listener's new
connections go to the silent one.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import Archive
from tests.archive import pg

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port on which connections are accepted and never answered, and the accepted sockets."""
    with pg.silent_server() as found:
        yield found


@pytest.fixture
def team_window(window: Any, pg_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The window on a team archive, looking every 100 ms, its listener retrying every 0.5 s."""
    from archive.catalogue import postgres_notify
    from heritage_app import live_refresh

    monkeypatch.setattr(live_refresh, "POLL_MS", 100)
    monkeypatch.setattr(postgres_notify, "RETRY_S", 0.5)
    root = tmp_path / "team"
    with Archive.create(root, agent="an", catalogue=pg_server.new_database(pg_server.catalogue_template())) as setup:
        setup.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Bún bò"})
    assert window.open_archive(root)
    assert window.live.watcher.listening
    return window


def end_listening_sessions(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                      " WHERE application_name = 'heritage-listen' AND datname = current_database()")


def test_reconnecting_the_listener_to_a_server_that_never_answers_never_freezes_the_window(
        qtbot: Any, team_window: Any, silent_server: tuple[int, list[socket.socket]]):
    from PySide6.QtCore import QTimer

    from archive.catalogue.postgres_connect import CONNECT_TIMEOUT_S

    port, attempts = silent_server
    live = team_window.live
    live.watcher.url = f"postgresql://127.0.0.1:{port}/team"  # the network hangs: new connections go unanswered
    beats: list[float] = []
    beat = QTimer()
    beat.timeout.connect(lambda: beats.append(time.monotonic()))
    beat.start(50)
    end_listening_sessions(live.archive.catalogue.url)  # the listening connection is lost
    qtbot.waitUntil(lambda: len(attempts) >= 2, timeout=4 * CONNECT_TIMEOUT_S * 1000)  # two attempts went out
    beat.stop()
    longest = max(b - a for a, b in zip(beats, beats[1:], strict=False))
    assert longest < CONNECT_TIMEOUT_S / 2, f"the window stood still {longest:.1f} s while connecting"
    assert not live.watcher.listening and live.notifier is None
    assert "Cannot read" not in team_window.statusBar().currentMessage()  # the catalogue itself still answers


def test_the_new_listening_connection_is_handed_to_the_window_without_its_timer(qtbot: Any, team_window: Any):
    """listeningAgain alone (the timer is stopped) makes the window watch the new socket."""
    live = team_window.live
    live.timer.stop()
    end_listening_sessions(live.archive.catalogue.url)
    qtbot.waitUntil(lambda: live.notifier is None, timeout=5000)  # its socket's end woke the window
    with qtbot.waitSignal(live.listeningAgain, timeout=10_000):
        live.check()  # the look that starts listening again, as the timer's would
    qtbot.waitUntil(lambda: live.notifier is not None, timeout=5000)
    assert live.watcher.listening and live.notifier.socket() == live.watcher.fileno()
    item_id = team_window.archive.find_by_accession("D-1")
    with Archive.open(team_window.archive.root, agent="binh") as other:
        with qtbot.waitSignal(live.requeried, timeout=10_000):
            other.update(item_id, {"title_vi": "Bún bò Huế"})  # its notice arrives on the new socket
