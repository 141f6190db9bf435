"""``heritage view FILE``, ``heritage snapshot FILE --out PNG`` and ``heritage compare A B`` (registered by
cli.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from archive.text import printable

#: the viewer's standard views (viewer.camera.STANDARD_VIEWS) and display modes
#: (viewer.settings.DISPLAY_MODES), named here so that building the command line does not
#: import Open3D (a test keeps them equal)
VIEWS = ("back", "bottom", "front", "iso", "left", "right", "top")
DISPLAY_MODES = ("auto", "textured", "shaded", "vertex_colors", "wireframe", "points")
#: an archived item's snapshot is drawn from its finest kept level of at most this many triangles
SNAPSHOT_PRIMITIVES = 1_000_000


def add_viewer_commands(subparsers: Any) -> None:
    """Register the ``view`` and ``snapshot`` subcommands on an argparse subparsers object."""
    from glbtools.frames import UP_AXES

    view = subparsers.add_parser("view", help="open a 3D file in the viewer window")
    view.add_argument("file", help="any supported 3D file")
    view.add_argument("--units", choices=("mm", "cm", "m"), help="units of the file's coordinates")
    view.set_defaults(func=run_view)

    snap = subparsers.add_parser("snapshot", help="render a 3D file to PNG without a window")
    snap.add_argument("file", help="a 3D file, or an item id with --archive (its master, or its kept level of "
                                   "detail when one was built, with its recorded up axis)")
    snap.add_argument("--out", required=True, help="PNG file to write")
    snap.add_argument("--size", type=int, default=1024, help="image width and height in pixels")
    snap.add_argument("--view", default="front", choices=VIEWS)
    snap.add_argument("--mode", default="auto", choices=DISPLAY_MODES)
    snap.add_argument("--up", choices=UP_AXES,
                      help="the file's up axis: z for Z-up scans (most scanners and CAD), y for glTF "
                           "(default: the item's recorded up axis, else y)")
    snap.add_argument("--every-triangle", action="store_true",
                      help="draw every triangle of a big mesh (slow; by default a binary PLY of over half a "
                           "million triangles, and over one per two pixels, is drawn from a copy clustered to "
                           "the picture's pixels)")
    snap.set_defaults(func=run_snapshot)

    cmp_ = subparsers.add_parser(
        "compare", help="align two scans and measure one against the other's surface (deviation summary)")
    cmp_.add_argument("reference", help="the reference scan: a 3D file, or ITEM_ID[:VERSION] with --archive")
    cmp_.add_argument("compared", help="the scan measured against it: a file, or ITEM_ID[:VERSION]")
    cmp_.add_argument("--json", action="store_true", help="print the full record as JSON (with --save: as kept)")
    cmp_.add_argument("--tolerance", type=float, default=0.5,
                      help="deviation counted as beyond tolerance, in mm (model units when units are unknown)")
    cmp_.add_argument("--report", metavar="DIR", help="write an HTML report with pictures to this folder")
    cmp_.add_argument("--save", action="store_true",
                      help="keep the comparison in the archive (two ITEM_ID[:VERSION] with --archive), with its "
                           "parameters, its deviations and its report as derived files")
    cmp_.add_argument("--record", metavar="JSON", help="write the comparison record (with its parameters) to this file")
    cmp_.add_argument("--pair", action="append", default=[], metavar="AX,AY,AZ=BX,BY,BZ",
                      help="a point on the reference and the same point on the compared scan, each in its own "
                           "file's coordinates; three or more give the coarse alignment (repeat the option)")
    cmp_.add_argument("--align", default="auto", choices=("auto", "pairs", "global", "none"),
                      help="auto: the pairs when given, else feature-based registration; then ICP; "
                           "none: the scans share one frame")
    cmp_.add_argument("--no-icp", action="store_true", help="skip the ICP refinement")
    cmp_.add_argument("--units", choices=("mm", "cm", "m"), help="units of files whose units are not known")
    cmp_.add_argument("--up", choices=UP_AXES, help="up axis of files given by path (default y)")
    cmp_.set_defaults(func=run_compare)
    from .compare_cli import add_comparisons_command

    add_comparisons_command(subparsers)

    sec = subparsers.add_parser("section", help="export a section profile of a mesh as SVG or DXF (millimetres)")
    sec.add_argument("file", help="a 3D mesh file")
    sec.add_argument("--axis", default="x", choices=("x", "y", "z"), help="axis the cutting plane is across "
                     "(in the viewer's frame: y is up)")
    sec.add_argument("--at", type=float, default=0.5, help="plane position along the axis, 0..1 of the model's size")
    sec.add_argument("--out", required=True, help="profile file to write: .svg or .dxf")
    sec.add_argument("--units", choices=("mm", "cm", "m"), help="units of the file's coordinates")
    sec.add_argument("--up", choices=UP_AXES, help="the file's up axis (default y)")
    sec.set_defaults(func=run_section)


def run_snapshot(args: argparse.Namespace) -> int:
    """Write the PNG; exit 1 with one line on stderr when the file cannot be shown.

    The file is read in the viewer's isolated reader process, so a file that crashes a
    native parser or exhausts memory gives one error line, not a dead interpreter; a big
    mesh is drawn from a copy clustered to the picture (:func:`viewer.thumbnail.picture_model`),
    its clustering started before Open3D is imported (the worker reads while it loads)."""
    from pathlib import Path

    from archive import ArchiveError
    from glbtools.clusterjob import start_clustering

    if not 16 <= args.size <= 8192:
        print("error: --size must be between 16 and 8192", file=sys.stderr)
        return 1
    try:
        path, up_axis = _snapshot_source(args)
        job = None if args.every_triangle else start_clustering(Path(path), args.size)
        from viewer import render_image
        from viewer.thumbnail import picture_model, png_bytes

        model = picture_model(path, args.size, up_axis=up_axis, every_triangle=args.every_triangle, job=job)
        image = render_image(model, args.size, args.size, view=args.view, mode=args.mode)
        Path(args.out).write_bytes(png_bytes(image))
    except Exception as exc:  # noqa: BLE001 (one clear line, never a traceback)
        from platform_support import open3d_failed_to_load
        from viewer import ViewerError

        if isinstance(exc, (ImportError, OSError)) and open3d_failed_to_load(exc):
            raise  # Open3D is imported on first use: the command's caller names the missing library
        if isinstance(exc, (ViewerError, ArchiveError)):
            print(f"error: {printable(exc)}", file=sys.stderr)
        elif isinstance(exc, OSError):
            print(f"error: cannot write {printable(args.out)}: {exc.strerror}", file=sys.stderr)
        else:
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
        path = archive.level_path(item_id, SNAPSHOT_PRIMITIVES) or archive.readable_master(item_id)
        return str(path), args.up or recorded_up_axis(master_asset(archive.assets(item_id)))


def run_compare(args: argparse.Namespace) -> int:
    """Print the comparison summary (or ``--json`` record); exit 1 with one line on error."""
    import json

    from archive import ArchiveError
    from viewer import ViewerError, load_model_isolated
    from viewer.compare import CompareParams, compare
    from viewer.measure import convert

    from .compare_cli import parse_pairs, save_in_archive

    try:
        sources = [_compare_source(args, spec) for spec in (args.reference, args.compared)]
        if args.save and None in (sources[0][3], sources[1][3]):
            raise ValueError("--save keeps comparisons of archived scans: give two ITEM_ID[:VERSION] with --archive")
        ref, mov = (load_model_isolated(path, units=units, up_axis=up) for path, units, up, _asset in sources)
        units = ref.units or mov.units
        tol = convert(args.tolerance, "mm", units) if units else args.tolerance
        params = CompareParams(tolerance=tol, align=args.align, icp=not args.no_icp, pairs=parse_pairs(args.pair))
        result = compare(ref, mov, params)
        result.sources["reference"]["spec"], result.sources["compared"]["spec"] = args.reference, args.compared
        if args.record:
            result.save_json(args.record)
        if args.report:
            from viewer.compare_report import write_report

            write_report(result, mov, args.report)
        kept = save_in_archive(args, sources[0][3], sources[1][3], result, mov) if args.save else None
    except (ViewerError, ArchiveError, ValueError) as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(kept if kept is not None else result.to_record(), ensure_ascii=False, indent=2))
        return 0
    s, u = result.summary(), result.units or "units"
    print(f"compared {printable(args.compared)} against {printable(args.reference)} ({s['points']:,} points, "
          f"alignment fitness {result.fitness:.3f}, {result.seconds:.1f} s)")
    for name, key in (("mean (signed)", "mean"), ("RMS", "rms"), ("95th percentile", "p95"), ("max", "max")):
        print(f"  {name:<16} {s[key]:.4g} {u}")
    print(f"  beyond {params.tolerance:.4g} {u}: {s['beyond_tolerance'] * 100:.2f} %")
    if kept is not None:
        print(f"kept in the archive as comparison {kept['id']} (derived files in {printable(kept['folder'])})")
    return 0


def run_section(args: argparse.Namespace) -> int:
    """Write the section profile; exit 1 with one line on stderr when it cannot be made."""
    from viewer import ViewerError, load_model_isolated
    from viewer.profile_export import export_profile
    from viewer.section import section_plane, section_profile

    try:
        if not 0.0 <= args.at <= 1.0:
            raise ValueError("--at must be between 0 and 1")
        model = load_model_isolated(args.file, units=args.units, up_axis=args.up or "y")
        if model.kind != "mesh":
            raise ValueError(f"{args.file} is a point cloud; a section profile needs a mesh")
        point, normal = section_plane(args.axis, args.at, *model.bbox)
        export_profile(section_profile(model.vertices, model.triangles, point, normal), model.units, args.out)
    except (ViewerError, ValueError, OSError) as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 1
    note = "" if model.units else " (units unknown: 1 unit = 1 mm)"
    print(f"section profile written to {printable(args.out)}{note}")
    return 0


def _compare_source(args: argparse.Namespace, spec: str) -> tuple[str, str | None, str, int | None]:
    """(path, units, up axis, asset id or None) for a file, or with ``--archive`` for
    ``ITEM_ID[:VERSION]``: VERSION counts the item's master assets from 1 (oldest); without it
    the newest."""
    item, _, version = spec.partition(":")
    archive_dir = getattr(args, "archive", None)
    if not (archive_dir and item.isdigit() and (not version or version.isdigit())):
        return spec, args.units, args.up or "y", None
    from archive import Archive

    from .compare_store import scan_versions
    from .up_axis import recorded_up_axis

    with Archive.open(archive_dir) as archive:
        masters = scan_versions(archive, int(item))
        if not masters:
            raise ValueError(f"item {item} has no 3D model")
        if version and not 1 <= int(version) <= len(masters):
            raise ValueError(f"item {item} has {len(masters)} version(s) of its master; there is no {version}")
        asset = masters[int(version) - 1] if version else masters[-1]
        units = asset.get("units") if asset.get("units") in ("mm", "cm", "m") else args.units
        return str(archive.readable(asset).main), units, args.up or recorded_up_axis(asset), int(asset["id"])


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
