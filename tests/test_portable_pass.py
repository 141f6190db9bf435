"""The import blocker of the portable pass (``make test-portable``) does what it says, and
the worker pool keeps its limits with ``spawn`` and without ``resource``.

Each test runs a fresh interpreter with ``tests/portable`` on ``PYTHONPATH``,
``HERITAGE_BLOCK_POSIX=1`` and ``HERITAGE_START_METHOD=spawn``, as the pass does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTABLE_ENV = {"PYTHONPATH": str(ROOT / "tests" / "portable"), "HERITAGE_BLOCK_POSIX": "1",
                "HERITAGE_START_METHOD": "spawn"}


def _run(script: str, tmp_path: Path, timeout: float = 120) -> str:
    path = tmp_path / "portable_check.py"
    path.write_text(textwrap.dedent(script))
    env = {**os.environ, **PORTABLE_ENV}
    done = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_project_modules_cannot_import_fcntl_or_resource(tmp_path):
    out = _run("""
        import importlib
        for name in ("fcntl", "resource"):
            for how in ("import {0}", "from {0} import *"):
                try:
                    exec(how.format(name), {"__name__": "archive.sample"})
                except ImportError as exc:
                    print("blocked", name, "for", exc.args[0].split("for ")[1].split(" ")[0])
        import fcntl  # a script or library outside the project still may (as on Windows they branch)
        print("outside ok")
    """, tmp_path)
    assert out.splitlines() == ["blocked fcntl for archive.sample"] * 2 + ["blocked resource for archive.sample"] * 2 \
        + ["outside ok"]


def test_platform_support_takes_the_portable_branches(tmp_path):
    out = _run("""
        import platform_support, platform_support.processes as p
        print(p.start_method(), p._address_space_limit(1 << 40), type(platform_support.memory_guard(1 << 40)).__name__)
    """, tmp_path)
    assert out.split() == ["spawn", "False", "MemoryGuard"]


def test_spawned_worker_is_blocked_too_and_keeps_its_memory_limit(tmp_path):
    out = _run("""
        import psutil
        from workers import WorkerPool

        def probe():
            try:
                exec("import resource", {"__name__": "workers.sample"})
            except ImportError:
                return "blocked in the worker"
            return "not blocked"

        def greedy(step):
            hoard = []
            while True:
                hoard.append(bytearray(step))

        if __name__ == "__main__":
            pool = WorkerPool()
            print(pool.run(probe, timeout=120))
            pid = pool.worker_pids()[0]
            limit = psutil.Process(pid).memory_info().rss + 96 * 1024**2
            try:
                pool.run(greedy, 4 * 1024**2, memory=limit, timeout=120)
            except MemoryError:
                print("MemoryError")
            print(pool.run(probe, timeout=120))  # the worker survived or was replaced
    """, tmp_path, timeout=240)
    assert out.splitlines() == ["blocked in the worker", "MemoryError", "blocked in the worker"]
