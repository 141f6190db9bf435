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


# A native parser that keeps the interpreter lock while it allocates: the worker's own watchdog
# thread cannot run, so only the parent can stop it (platform_support.processes). PyDLL calls keep
# the lock; fread from a pipe fills an anonymous map as a feeder writes, then waits for ever.
NATIVE_JOBS = """
    import ctypes, mmap, subprocess, sys, time
    import psutil
    from workers import WorkerOutOfMemory, WorkerPool, WorkerTimedOut

    FEED = ("import sys\\nchunk = b'x' * (1 << 20)\\nfor _ in range({mib}): sys.stdout.buffer.write(chunk)\\n"
            "sys.stdout.flush()\\nsys.stdin.read()")

    def grow_holding_the_lock(mib):
        feeder = subprocess.Popen([sys.executable, "-c", FEED.format(mib=mib)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        libc = ctypes.PyDLL(None)
        libc.fdopen.restype, libc.fdopen.argtypes = ctypes.c_void_p, [ctypes.c_int, ctypes.c_char_p]
        libc.fread.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
        stream = libc.fdopen(feeder.stdout.fileno(), b"rb")
        size = 2 * mib << 20
        buf = mmap.mmap(-1, size)
        libc.fread(ctypes.addressof(ctypes.c_char.from_buffer(buf)), 1, size, stream)
        return "returned"

    def sleep_holding_the_lock(seconds):
        ctypes.PyDLL(None).sleep(seconds)
        return "returned"

    def probe():
        return "alive"

    def gone(pid):  # the killed worker is reaped (a kill is not instantaneous)
        def ended():  # it may vanish between two questions: asked once, NoSuchProcess is an answer
            try:
                return psutil.Process(pid).status() == "zombie"
            except psutil.NoSuchProcess:
                return True

        deadline = time.monotonic() + 10
        while not ended() and time.monotonic() < deadline:
            time.sleep(0.05)
        return ended()

    def outcome(pool, fn, *args, **limits):
        start = time.monotonic()
        try:
            result = pool.run(fn, *args, **limits)
        except (WorkerOutOfMemory, WorkerTimedOut, MemoryError) as exc:
            result = type(exc).__name__
        return result, time.monotonic() - start
"""


def test_the_parent_stops_a_native_parser_holding_the_lock_over_its_memory_limit(tmp_path):
    out = _run(NATIVE_JOBS + """
    if __name__ == "__main__":
        pool = WorkerPool()
        print(pool.run(probe, timeout=120))
        pid = pool.worker_pids()[0]
        limit = psutil.Process(pid).memory_info().rss + 128 * 1024**2
        result, seconds = outcome(pool, grow_holding_the_lock, 512, memory=limit, timeout=60)
        print(result, seconds < 30, gone(pid))
        print(pool.run(probe, timeout=120))  # a fresh worker
    """, tmp_path, timeout=240)
    assert out.splitlines() == ["alive", "WorkerOutOfMemory True True", "alive"]


def test_the_time_limit_stops_a_native_call_holding_the_lock(tmp_path):
    out = _run(NATIVE_JOBS + """
    if __name__ == "__main__":
        pool = WorkerPool()
        print(pool.run(probe, timeout=120))
        pid = pool.worker_pids()[0]
        result, seconds = outcome(pool, sleep_holding_the_lock, 600, memory=1 << 34, timeout=3)
        print(result, 3 <= seconds < 30, gone(pid))
        print(pool.run(probe, timeout=120))
    """, tmp_path, timeout=240)
    assert out.splitlines() == ["alive", "WorkerTimedOut True True", "alive"]
