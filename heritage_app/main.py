"""``heritage-app [--archive DIR]``: the desktop window."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="heritage-app", description="Heritage & Cuisine 3D Archive (desktop)")
    parser.add_argument("--archive", type=Path, help="open this archive folder")
    parser.add_argument("--language", choices=("en", "vi"), help="user-interface language (saved in the settings)")
    parser.add_argument("--select", help=argparse.SUPPRESS)  # accession to select (screenshots)
    parser.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)  # grab the window to PNG and quit
    parser.add_argument("--screenshot-delay", type=int, default=2500, help=argparse.SUPPRESS)
    parser.add_argument("--size", default="1400x900", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def open_window(args: argparse.Namespace) -> tuple[QApplication, MainWindow]:
    """Everything ``heritage-app`` does before its event loop: the application, the window with
    the archive open, shown. (``benchmarks/bench_app.py`` times this same path.)"""
    # Start-up builds objects that live as long as the window; the collector would walk them
    # again and again (over a hundred collections, 0.1-0.3 s). create_window freezes them.
    gc.disable()
    # The archive and its libraries (numpy, sqlite-utils: ~250 modules) before Qt: PySide6 reads
    # the source of every module imported after it, looking for its __feature__ switches.
    import archive  # noqa: F401

    # isort: split
    from PySide6.QtCore import QTimer

    from . import dialogs, logs
    from .app import create_application, create_window, grab_after
    from .settings import SettingsStore

    # The log file the user can send with a bug report (no field values in it: logs.py); warnings also on stderr.
    logs.start_logging("heritage-app", console_format="%(levelname)s %(name)s: %(message)s")
    app = create_application([sys.argv[0]])
    dialogs.install_excepthook()
    store = SettingsStore()
    if args.language:
        settings = store.load()
        settings.language = args.language
        store.save(settings)
    window = create_window(args.archive.resolve() if args.archive else None, store)
    gc.enable()
    if args.select and window.archive is not None:
        item_id = window.archive.find_by_accession(args.select)
        if item_id is not None:
            window.view.select_item(item_id)
    if args.screenshot:
        width, _, height = args.size.partition("x")
        window.resize(int(width), int(height))
        grab_after(window, args.screenshot, args.screenshot_delay)
    window.show()
    QTimer.singleShot(1000, window.detail.preloader.start)  # import Open3D while the user looks around
    return app, window


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app, _window = open_window(args)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
