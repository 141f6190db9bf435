"""The log file a museum worker can send with a bug report.

The app and the command line write one rotating file (``platform_support.locations.log_file()``):
what ran, how long it took, errors with their tracebacks, and the versions of Python, Qt, Open3D
and the system. It must never hold catalogue content, so the rule is simple: **code logs field
names and item ids, never field values or item text.** ``RedactingFilter`` is the safety net for
messages written by others (exceptions, libraries): every quoted text in a message or in an
exception line of a traceback (``'…'``, ``"…"``, ``“…”``, which is how the archive quotes a value
in its errors) is replaced by ``'…'``. Qt-free: the command line uses it too.
"""

from __future__ import annotations

import logging
import logging.handlers
import platform
import re
import sys
import time
import traceback
from argparse import Namespace
from pathlib import Path

from platform_support.locations import log_file

log = logging.getLogger("heritage")

MAX_BYTES = 2 * 1024 * 1024  # per file; with BACKUPS older files at most 8 MB in all
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
PACKAGES = ("heritage", "heritage_app", "archive", "viewer", "workers", "glbtools", "platform_support")
PACKAGES_IN_REPORT = ("pyside6-essentials", "open3d", "trimesh", "numpy", "sqlite-utils", "Pillow", "platformdirs")

# A quote opens where no letter precedes it ("the backup's" is no quote) and may hold escapes.
_QUOTED = re.compile(r"""(?<!\w)'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|“[^”\n]*”|‘[^’\n]*’""")
REDACTED = "'…'"


def redact(text: str) -> str:
    """``text`` with every quoted part replaced by ``'…'``."""
    return _QUOTED.sub(REDACTED, text)


def redact_traceback(exc_info: tuple) -> str:
    """A traceback whose frames are kept (file names, line numbers, source lines are the
    program's) and whose exception lines, the unindented ones, are redacted."""
    lines = "".join(traceback.format_exception(*exc_info)).rstrip("\n").split("\n")
    return "\n".join(line if line[:1].isspace() else redact(line) for line in lines)


class RedactingFilter(logging.Filter):
    """Redacts each record before it reaches the log file (see the module's docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the message: keep only the message
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:  # even if another handler formatted it already (exc_text is a cache)
            record.exc_text = redact_traceback(record.exc_info)
        return True


class _RotatingFile(logging.handlers.RotatingFileHandler):
    def doRollover(self) -> None:  # noqa: N802 - logging's name
        # Another process (the app and a CLI at once) may hold the file open; Windows then refuses
        # the rename. Keep writing to the same file rather than losing the record.
        try:
            super().doRollover()
        except OSError:
            if self.stream is None or self.stream.closed:
                self.stream = self._open()


class _Console(logging.StreamHandler):
    """Warnings on whatever ``sys.stderr`` is now (as ``logging.lastResort`` does), so a replaced
    stderr (tests, a frozen app without a console) is never written after it was closed."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        if self.stream is not None:
            super().emit(record)


_handler: _RotatingFile | None = None
_console: _Console | None = None


def start_logging(program: str, path: Path | None = None, console_format: str = "%(message)s") -> Path | None:
    """Send the project's log records (INFO and up) to the rotating log file and warnings to stderr
    (except the ``heritage`` logger's: what ran and crash tracebacks are for the file only);
    returns the file, or None when it cannot be written (the program still runs). Calling it again
    with the same file does nothing, so the CLI's ``main`` may run many times in one process."""
    global _handler, _console
    path = path or log_file()
    if _handler is not None and Path(_handler.baseFilename) == path.absolute():
        return path
    stop_logging()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _RotatingFile(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        handler = None
    root = logging.getLogger()
    _console = _Console()
    _console.setLevel(logging.WARNING)
    _console.setFormatter(logging.Formatter(console_format))
    _console.addFilter(lambda record: record.name != log.name)
    root.addHandler(_console)
    for name in PACKAGES:
        logging.getLogger(name).setLevel(logging.INFO)
    if handler is None:
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    _handler = handler
    log.info("%s started: %s", program, versions())
    return path


def stop_logging() -> None:
    """Detach and close the handlers ``start_logging`` added (tests, or before another file)."""
    global _handler, _console
    root = logging.getLogger()
    for handler in (_handler, _console):
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
    _handler = _console = None


def versions() -> str:
    """One line: this program, Python, the main libraries (from their metadata: nothing is
    imported for it), the running Qt when the app has loaded it, and the system."""
    from importlib.metadata import PackageNotFoundError, version

    def known(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    parts = [f"heritage-archive {known('heritage-archive')}", f"Python {platform.python_version()}"]
    parts += [f"{name} {known(name)}" for name in PACKAGES_IN_REPORT]
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None:
        parts.append(f"Qt {qtcore.qVersion()}")
    parts.append(f"{platform.system()} {platform.release()} ({platform.platform()}, {platform.machine()})")
    return "; ".join(parts)


# -- the command line's record of what ran -------------------------------------------------------
# Option values that are choices (never user text); any other text is logged as given, not shown.
SHOWN_TEXT = frozenset({"kind", "status", "sort", "format", "profile", "labels", "view", "mode", "language"})


def describe_command(args: Namespace) -> str:
    """``args`` without any user text: numbers, switches, choices, the NAMES of ``--set`` fields,
    and for other text only that it was given (a title, a query or a path may hold catalogue text)."""
    from archive.fields import ASSET_FIELD, ITEM_FIELD

    parts = [str(getattr(args, "command", "?"))]
    for name, value in sorted(vars(args).items()):
        if name in ("func", "command") or value is None or value is False or value == []:
            continue
        if name == "set":
            names = [p.partition("=")[0] for p in value]
            parts.append("set=" + ",".join(n if n in ITEM_FIELD or n in ASSET_FIELD else "?" for n in names))
        elif isinstance(value, bool | int | float) or (name in SHOWN_TEXT and isinstance(value, str)):
            parts.append(f"{name}={value}")
        elif isinstance(value, list) and all(isinstance(v, int) for v in value):
            parts.append(f"{name}={value}")
        elif isinstance(value, list):
            parts.append(f"{name}=({len(value)} given)")
        else:
            parts.append(f"{name}=(given)")
    return " ".join(parts)


def command_started(args: Namespace) -> float:
    log.info("command %s", describe_command(args))
    return time.monotonic()


def command_finished(args: Namespace, started: float, code: int, error: BaseException | None = None) -> None:
    """The outcome: the exit code and time, and for an archive error its kind and field, never its
    message (which may quote the value the user typed)."""
    seconds = time.monotonic() - started
    if error is None:
        log.info("command %s finished: exit %d in %.2f s", getattr(args, "command", "?"), code, seconds)
        return
    field = getattr(error, "field", None)
    log.warning("command %s failed: %s%s, exit %d in %.2f s", getattr(args, "command", "?"), type(error).__name__,
                f" (field {field})" if isinstance(field, str) else "", code, seconds)


# -- the bug report ------------------------------------------------------------------------------
def last_lines(path: Path | None = None, count: int = 200) -> list[str]:
    """The last ``count`` lines of the log, reaching into the rotated file when the current one is short."""
    path = path or log_file()
    lines: list[str] = []
    for part in (path.with_name(path.name + ".1"), path):
        try:
            lines += part.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
    return lines[-count:]


def bug_report(places: dict[str, str] | None = None, count: int = 200) -> str:
    """Text to paste into a bug report: versions, where things are, and the last ``count`` log lines."""
    lines = [f"Versions: {versions()}", f"Log file: {log_file()}"]
    lines += [f"{what}: {where}" for what, where in (places or {}).items()]
    tail = last_lines(count=count)
    lines += ["", f"Last {len(tail)} log lines:", *tail]
    return "\n".join(lines) + "\n"
