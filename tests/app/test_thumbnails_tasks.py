"""Background work: thumbnails arrive later for one cell; tasks report back by signals."""

from __future__ import annotations

import threading

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage

from archive import Archive
from archive.importer import ImportOptions, import_paths
from heritage_app.catalogue_model import CatalogueModel
from heritage_app.tasks import Task, TaskManager
from heritage_app.thumbnails import ThumbnailJob, ThumbnailProvider


def _png() -> bytes:
    image = QImage(64, 32, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def test_thumbnail_arrives_later_for_its_cell_only(qtbot, tmp_path, scans):
    root = tmp_path / "arch"
    with Archive.create(root) as archive:
        report = import_paths(archive, scans[:2], ImportOptions(kind="relic"))
        archive.ensure_thumbnails(lambda _path: _png(), report.imported[:1])
        provider = ThumbnailProvider(size=64)
        provider.set_archive(root)
        model = CatalogueModel(provider)
        model.set_archive(archive)
        index = model.index(model.row_of(report.imported[0]), 0)
        placeholder = index.data(Qt.ItemDataRole.DecorationRole)
        with qtbot.waitSignal(model.dataChanged, timeout=5000) as blocker:
            pass
        assert blocker.args[0] == index and blocker.args[2] == [Qt.ItemDataRole.DecorationRole]
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        assert pixmap.width() == 64 and pixmap.cacheKey() != placeholder.cacheKey()
        other = model.index(model.row_of(report.imported[1]), 0)
        other.data(Qt.ItemDataRole.DecorationRole)  # no thumbnail and no renderer: stays a placeholder
        provider.wait()
        qtbot.wait(50)
        assert report.imported[1] in provider._missing
        provider.set_archive(None)


def test_task_runs_off_the_gui_thread_and_reports_by_signal(qtbot, small_archive):
    manager = TaskManager()
    gui = threading.get_ident()
    seen = {}

    def work(archive, progress, cancel, factor):
        seen["thread"] = threading.get_ident()
        progress(1, 1, "counted")
        return archive.count() * factor

    task = Task(work, 2, archive_dir=small_archive, title="count")
    with qtbot.waitSignal(task.signals.succeeded, timeout=5000) as blocker:
        manager.run_write(task)
    assert blocker.args == [10]
    assert seen["thread"] != gui
    qtbot.waitUntil(lambda: not manager.writes, timeout=2000)
    manager.wait()


def test_writes_run_one_at_a_time(qtbot):
    manager = TaskManager()
    running, peak = [0], [0]
    lock = threading.Lock()

    def work(_archive, _progress, _cancel):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        threading.Event().wait(0.02)
        with lock:
            running[0] -= 1

    tasks = [manager.run_write(Task(work)) for _ in range(4)]
    qtbot.waitUntil(lambda: not any(manager.is_running(t) for t in tasks), timeout=5000)
    manager.wait()
    assert peak[0] == 1


def test_a_failing_task_reports_the_error(qtbot):
    manager = TaskManager()

    def work(_archive, _progress, _cancel):
        raise OSError(28, "No space left on device")

    task = Task(work)
    with qtbot.waitSignal(task.signals.failed, timeout=5000) as blocker:
        manager.run_write(task)
    assert isinstance(blocker.args[0], OSError)
    manager.wait()


def test_a_thumbnail_job_on_a_vanished_archive_says_so_and_finishes(qtbot, tmp_path):
    job = ThumbnailJob(tmp_path / "unplugged", [1, 2], size=64, render=False)
    failures = []
    job.signals.failed.connect(failures.append)
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        job.run()
    assert len(failures) == 1 and "unplugged" in str(failures[0])
