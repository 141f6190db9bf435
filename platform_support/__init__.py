"""Everything that differs between Windows, macOS and Linux, in one place.

The rest of the project (``archive``, ``viewer``, ``workers``, ``heritage_app``, ``glbtools``)
never imports ``fcntl`` or ``resource`` and never reads ``/proc``
(``tests/test_platform.py`` greps for it); it calls these functions instead:

- :mod:`.files`: file locks (the ``filelock`` package), read-only marking, directory fsync,
  files replaced whole through a temporary name no other PC uses, hard links with a copy
  fallback, and the file system a folder lives on (``psutil``);
- :mod:`.processes`: the worker start method (``spawn`` everywhere but Linux, or as
  ``HERITAGE_START_METHOD`` says) and the worker memory limit (``RLIMIT_AS`` on Linux,
  ``psutil`` watchdogs in the worker and in its parent elsewhere);
- :mod:`.gl`: a message naming the missing system libraries when Open3D cannot load.
- :mod:`.locations`: the per-user folders (logs, default archive, cache), each system's own (``platformdirs``).

This package imports nothing of the project: everything else may import it.
"""

from __future__ import annotations

from .files import (
    FileSystem,
    HeldLock,
    filesystem,
    fsync_dir,
    hard_link,
    hold_lock,
    link_or_copy,
    lock_held,
    make_folders_writable,
    make_read_only,
    make_writable,
    remove_stale_temps,
    remove_tree,
    replacing,
    temp_beside,
)
from .gl import Open3DUnavailable, import_open3d, open3d_error_message, open3d_failed_to_load
from .locations import Locations, user_locations
from .processes import (
    START_METHOD_ENV,
    MemoryGuard,
    kernel_limits_memory,
    limit_memory,
    memory_guard,
    process_memory,
    start_method,
)

__all__ = [
    "START_METHOD_ENV", "FileSystem", "HeldLock", "MemoryGuard", "Open3DUnavailable", "filesystem", "fsync_dir",
    "hard_link", "hold_lock", "import_open3d", "limit_memory", "link_or_copy", "lock_held", "make_folders_writable",
    "make_read_only", "make_writable", "remove_tree", "memory_guard", "kernel_limits_memory", "process_memory",
    "open3d_error_message", "open3d_failed_to_load", "remove_stale_temps", "replacing", "start_method", "temp_beside",
    "Locations", "user_locations",
]
