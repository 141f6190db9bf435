"""Imported by the forkserver as its first preload: ties the forkserver's life to the app's.

The forkserver lives while any process holds its "alive" pipe, and every worker holds it;
a worker stuck in native code (holding the GIL, so its watchdog cannot run) would keep
both alive after the app died. On Linux the kernel breaks that cycle: the app's death
kills the forkserver, whose death kills each worker (their own parent-death signal).
Imported anywhere but inside the forkserver's start-up, this module does nothing.
"""

from __future__ import annotations

import os
import sys


def _in_forkserver_startup() -> bool:
    import multiprocessing.forkserver as forkserver

    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _guard() -> None:
    from . import _set_parent_death_signal

    app = os.getppid()
    _set_parent_death_signal()
    if os.getppid() != app:  # the app died before the signal was armed
        os._exit(1)


if _in_forkserver_startup():
    _guard()
