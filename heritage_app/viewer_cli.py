"""``heritage view FILE`` and ``heritage snapshot FILE --out PNG`` (registered by cli.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from archive.text import printable

#: an archived item's snapshot is drawn from its finest kept level of at most this many triangles
SNAPSHOT_PRIMITIVES = 1_000_000


def add_viewer_commands(subparsers: Any) -> None:
    """Register the ``view`` and ``snapshot`` subcommands on an argparse subparsers object."""
    from viewer.camera import STANDARD_VIEWS
    from viewer.orientation import UP_AXES
    from viewer.settings import DISPLAY_MODES

    view = subparsers.add_parser("view", help="open a 3D file in the viewer window")
    view.add_argument("file", help="any supported 3D file")
    view.add_argument("--units", choices=("mm", "cm", "m"), help="units of the file's coordinates")
    view.set_defaults(func=run_view)

    snap = subparsers.add_parser("snapshot", help="render a 3D file to PNG without a window")
    snap.add_argument("file", help="a 3D file, or an item id with --archive (its master, or its kept level of "
                                   "detail when one was built, with its recorded up axis)")
    snap.add_argument("--out", required=True, help="PNG file to write")
    snap.add_argument("--size", type=int, default=1024, help="image width and height in pixels")
    snap.add_argument("--view", default="front", choices=sorted(STANDARD_VIEWS))
    snap.add_argument("--mode", default="auto", choices=DISPLAY_MODES)
    snap.add_argument("--up", choices=UP_AXES,
                      help="the file's up axis: z for Z-up scans (most scanners and CAD), y for glTF "
                           "(default: the item's recorded up axis, else y)")
    snap.set_defaults(func=run_snapshot)


def run_snapshot(args: argparse.Namespace) -> int:
    """Write the PNG; exit 1 with one line on stderr when the file cannot be shown.

    The file is read in the viewer's isolated reader process, so a file that crashes a
    native parser or exhausts memory gives one error line, not a dead interpreter."""
    from pathlib import Path

    from archive import ArchiveError
    from viewer import ViewerError, load_model_isolated, render_image
    from viewer.thumbnail import png_bytes

    if not 16 <= args.size <= 8192:
        print("error: --size must be between 16 and 8192", file=sys.stderr)
        return 1
    try:
        path, up_axis = _snapshot_source(args)
        model = load_model_isolated(path, up_axis=up_axis)
        image = render_image(model, args.size, args.size, view=args.view, mode=args.mode)
        Path(args.out).write_bytes(png_bytes(image))
    except (ViewerError, ArchiveError) as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write {printable(args.out)}: {exc.strerror}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 (one clear line, never a traceback)
        print(f"error: {printable(args.file)} could not be shown ({type(exc).__name__}: {printable(exc)})",
              file=sys.stderr)
        return 1
    return 0


def _snapshot_source(args: argparse.Namespace) -> tuple[str, str]:
    """(file to render, its up axis): the file given, or with ``--archive`` an item id's
    master and the up axis recorded for it; ``--up`` overrides either."""
    archive_dir = getattr(args, "archive", None)
    if not (archive_dir and args.file.isdigit()):
        return args.file, args.up or "y"
    from archive import Archive

    from .up_axis import master_asset, recorded_up_axis

    with Archive.open(archive_dir) as archive:
        item_id = int(args.file)
        # a kept level of detail draws the same picture at this size for a fraction of the cost
        path = archive.level_path(item_id, SNAPSHOT_PRIMITIVES) or archive.master_path(item_id)
        return str(path), args.up or recorded_up_axis(master_asset(archive.assets(item_id)))


def run_view(args: argparse.Namespace) -> int:
    """Open a window with just the viewer for ``args.file``.

    The widget's load task reads the file in the isolated reader process
    (:func:`viewer.load_model_isolated`)."""
    from PySide6.QtWidgets import QApplication

    from .viewer_widget import ViewerWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = ViewerWidget()
    w.setWindowTitle(f"Heritage viewer — {printable(args.file)}")
    w.resize(1100, 800)
    w.loadFailed.connect(lambda msg: print(f"error: {printable(msg)}", file=sys.stderr))
    w.show()
    w.open_file(args.file, getattr(args, "units", None))
    return int(app.exec())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="heritage")
    add_viewer_commands(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args()
    sys.exit(ns.func(ns))
