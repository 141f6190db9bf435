"""Simulate a system without ``fcntl`` and ``resource`` (Windows) for the project's code.

Put this folder on ``PYTHONPATH`` and set ``HERITAGE_BLOCK_POSIX=1`` (``make test-portable``):
Python imports this file at start-up in the test process and, since the variables are
inherited, in every ``spawn`` worker. From then on an ``import fcntl`` or ``import resource``
made by a module of the project (``archive``, ``viewer``, ``workers``, ``heritage_app``,
``glbtools``, ``platform_support``) raises ImportError, so ``platform_support`` takes the
branch it takes on Windows and any other module that needed them fails loudly.

Third-party and standard-library modules keep them: on Windows they carry their own
branches (``filelock`` uses ``msvcrt`` there), which are theirs to test. The check is on
the importing module, through ``builtins.__import__`` (which sees ``import x`` and ``from x
import y`` even when the module is already loaded) and a meta-path finder (which sees
``importlib.import_module`` of a module not loaded yet).
"""

from __future__ import annotations

import builtins
import os
import sys

BLOCKED = frozenset({"fcntl", "resource"})
FIRST_PARTY = frozenset({"archive", "viewer", "workers", "heritage_app", "glbtools", "platform_support"})


def _first_party_caller(depth: int) -> str | None:
    frame = sys._getframe(depth)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith(("importlib", "_frozen_importlib")):
            return name if name.split(".")[0] in FIRST_PARTY else None
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _refuse(name: str, caller: str) -> ImportError:
    return ImportError(f"No module named {name!r} (blocked for {caller} by tests/portable/sitecustomize.py)",
                       name=name)


class _Blocker:
    """Meta-path finder: refuses the blocked modules to the project's modules."""

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name in BLOCKED:
            caller = _first_party_caller(2)
            if caller is not None:
                raise _refuse(name, caller)
        return None


def _install() -> None:
    real_import = builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # type: ignore[no-untyped-def]
        if level == 0 and name.split(".")[0] in BLOCKED:
            caller = (globals or {}).get("__name__", "")
            if caller.split(".")[0] in FIRST_PARTY:
                raise _refuse(name, caller)
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded_import
    sys.meta_path.insert(0, _Blocker())


if os.environ.get("HERITAGE_BLOCK_POSIX") == "1":
    _install()
