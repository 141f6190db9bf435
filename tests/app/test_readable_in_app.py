"""The app and the viewer commands open an item's master where its side files resolve, even when
they are stored under portable names (archive.readable): the window's viewer, ``heritage
snapshot --archive`` and ``heritage compare --archive``."""

from __future__ import annotations

from argparse import Namespace

from archive import Archive
from tests.archive.test_readable import obj_source


def _item(archive: Archive, tmp_path) -> int:  # type: ignore[no-untyped-def]
    report = archive.import_paths([obj_source(tmp_path / "src")])
    assert not report.errors, report.errors
    return report.imported[0]


def test_the_window_hands_the_viewer_the_readable_master(window, tmp_path, monkeypatch):
    item_id = _item(window.archive, tmp_path)
    shown = {}
    monkeypatch.setattr(window.detail, "show_item", lambda item, history, path, *a, **k: shown.update(path=path))
    window._show(item_id)
    readable = window.archive.readable_master(item_id)
    assert shown["path"] == readable and readable != window.archive.master_path(item_id)
    assert "aux_~" in readable.read_text().splitlines()[0]  # its mtllib names the stored MTL


def test_snapshot_and_compare_by_item_open_the_readable_master(tmp_path):
    from heritage_app.viewer_cli import _compare_source, _snapshot_source

    root = tmp_path / "archive"
    with Archive.create(root) as archive:
        item_id = _item(archive, tmp_path)
        readable = str(archive.readable_master(item_id))
    args = Namespace(archive=str(root), file=str(item_id), up=None, units=None)
    assert _snapshot_source(args)[0] == readable
    assert _compare_source(args, f"{item_id}:1")[0] == readable
