"""``heritage-app [--archive DIR]``: the desktop window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="heritage-app", description="Heritage & Cuisine 3D Archive (desktop)")
    parser.add_argument("--archive", type=Path, help="open this archive folder")
    parser.add_argument("--language", choices=("en", "vi"), help="user-interface language (saved in the settings)")
    parser.add_argument("--select", help=argparse.SUPPRESS)  # accession to select (screenshots)
    parser.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)  # grab the window to PNG and quit
    parser.add_argument("--screenshot-delay", type=int, default=2500, help=argparse.SUPPRESS)
    parser.add_argument("--size", default="1400x900", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
