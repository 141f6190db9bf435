"""Export reads masters in the isolated worker; workers never outlive the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and /proc are POSIX")


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for a reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return not stat.parent.parent.is_dir()  # no /proc (macOS): kill(0) said it runs


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


APP = textwrap.dedent("""
    import sys, time
    from multiprocessing import forkserver
    from pathlib import Path
    import trimesh
    from archive.isolation import POOL as ARCHIVE_POOL, inspect_isolated
    from viewer.isolated import POOL as VIEWER_POOL, load_model_isolated

    box = Path(sys.argv[1]) / "box.ply"
    trimesh.creation.box().export(box)
    inspect_isolated(box, box.parent)
    load_model_isolated(box)
    pids = ARCHIVE_POOL.worker_pids() + VIEWER_POOL.worker_pids() + [forkserver._forkserver._forkserver_pid]
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(120)
""")


def test_workers_and_forkserver_exit_when_the_app_is_killed(tmp_path: Path) -> None:
    app = subprocess.Popen([sys.executable, "-c", APP, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        pids = [int(p) for p in app.stdout.readline().split()]
        assert len(pids) == 3 and all(_alive(p) for p in pids)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()
    assert _wait_gone(pids, 10) == []


def stuck_in_native_code() -> None:
    """Catastrophic backtracking: ``re`` keeps the GIL, so no watchdog thread can run."""
    import re

    re.match(r"(a+)+$", "a" * 64 + "b")


STUCK_APP = textwrap.dedent("""
    import time
    from multiprocessing import forkserver
    from archive.isolation import POOL
    from tests.archive.test_export_isolation import stuck_in_native_code

    POOL.start(stuck_in_native_code)
    time.sleep(2)  # the worker is in the regex now
    print(" ".join(map(str, POOL.worker_pids() + [forkserver._forkserver._forkserver_pid])), flush=True)
    time.sleep(120)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_worker_stuck_in_native_code_dies_with_the_app() -> None:
    root = Path(__file__).resolve().parents[2]
    app = subprocess.Popen([sys.executable, "-c", STUCK_APP], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        assert app.stdout is not None
        pids = [int(p) for p in app.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()
    assert _wait_gone(pids, 10) == []


WATCHDOG = textwrap.dedent("""
    import os, workers
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "worker": only the portable watchdog, no parent-death signal
        ppid = os.getppid()
        os.write(ready_w, b"x")
        workers._watch_parent(ppid)
        os._exit(0)
    os.read(ready_r, 1)
    print(pid, flush=True)
    os._exit(0)  # the "app" dies once the worker watches it
""")


def test_watchdog_alone_ends_a_worker_whose_parent_died() -> None:
    out = subprocess.run([sys.executable, "-c", WATCHDOG], capture_output=True, text=True, timeout=60)
    child = int(out.stdout.split()[0])
    assert _wait_gone([child], 5) == []
