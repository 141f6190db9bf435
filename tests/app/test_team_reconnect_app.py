"""The window after the team archive's server restarted (heritage_app.live_refresh over
archive.catalogue.postgres_notify): the look that finds the listening connection gone reads what
changed meanwhile, the next one listens again on a new socket, and a notice on it wakes the window
without the timer. A PostgreSQL server of this module's own (it is crashed and restarted).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import Archive


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A PostgreSQL server of this module's own: the tests crash and restart it."""
    from tests.archive.pg import own_durable_server

    yield from own_durable_server()


def test_after_a_server_restart_the_window_listens_again_and_a_notice_wakes_it(
        qtbot: Any, window: Any, server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PGUSER", "postgres")
    root = tmp_path / "team"
    with Archive.create(root, agent="an", catalogue=server.new_database(server.catalogue_template())) as setup:
        item_id = setup.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Bún bò"})
    assert window.open_archive(root)
    live = window.live
    live.timer.stop()
    assert live.notifier is not None and live.watcher.listening
    server.crash()
    server.start_again()
    time.sleep(0.3)  # the server's goodbye has reached the listening socket
    live.check()  # finds the connection gone: reads the events, in case one was missed
    assert not live.watcher.listening and live.notifier is None
    live.check()  # listens again (on the listener's thread), and watches the new socket once handed over
    qtbot.waitUntil(lambda: live.watcher.listening and live.notifier is not None, timeout=10_000)
    assert live.notifier.socket() == live.watcher.fileno()
    assert "Cannot read" not in window.statusBar().currentMessage()  # the window's own reads reconnected too
    live.timer.stop()  # only the new socket can wake it now
    window.view.select_item(item_id)
    with Archive.open(root, agent="binh") as other:
        with qtbot.waitSignal(live.requeried, timeout=10_000):
            other.update(item_id, {"title_vi": "Bún bò Huế"})
    assert window.model.display_row(window.model.row_of(item_id))["title_vi"] == "Bún bò Huế"
