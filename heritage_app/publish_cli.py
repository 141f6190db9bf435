"""``heritage export``, ``heritage site`` and ``heritage import-bag``: publishing from the
command line. The work is done by :mod:`archive.publish`; this module parses arguments,
supplies the viewer's renderer for posters and prints results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from archive.publish import (
    FORMATS,
    PROFILES,
    build_site,
    export_items,
    get_profile,
    import_bag_report,
    validate,
    validator_available,
)
from archive.text import printable

from .cli import _archive, _progress
from .rendering import render_image


def _progress_for(args: argparse.Namespace) -> Any:
    return None if getattr(args, "json", False) or not sys.stderr.isatty() else _progress


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.to)
    # Draco needs a decoder that model-viewer would fetch from a CDN: pages never use it.
    compress = args.compress if args.format == "glb" else "none"
    profile = get_profile(args.profile).with_overrides(compress=compress)
    with _archive(args) as archive:
        batch = export_items(archive, list(args.ids), out, args.format, profile,
                             render_image=None if args.no_poster else render_image,
                             up_axis=args.up_axis, progress=_progress_for(args))
    results = batch.results
    status = 0 if batch.ok else 1
    glb_of = {id(r): _written_glb(r) for r in results}
    glbs = [g for g in glb_of.values() if g is not None]
    reports = {}
    if glbs and args.validate != "no":
        if validator_available():
            reports = validate(glbs)
        elif args.validate == "yes":
            print("error: the glTF validator is not installed (scripts/node-deps.sh)", file=sys.stderr)
            status = 1
    for r in results:
        rows: dict[str, Any] = {"item": r.item_id, "format": r.format, "files": [_shown(p, out) for p in r.files]}
        if r.web:
            rows["web"] = r.web.as_dict()
        glb = glb_of[id(r)]
        if glb is not None and glb in reports:
            rows["validator"] = {"errors": reports[glb].errors, "warnings": reports[glb].warnings}
            status |= 0 if reports[glb].ok else 1
        if r.notes:
            rows["notes"] = r.notes
        _print_result(rows, args.json)
    for failure in batch.failures:  # one line each; the items before and after them were exported
        print(f"error: {printable(failure.line())}", file=sys.stderr)
    if args.format == "bag":
        print("note: a bag is a preservation package and holds private fields; do not publish it", file=sys.stderr)
    return status


def _written_glb(result: Any) -> Path | None:
    if result.format == "glb":
        return Path(result.main)
    if result.format == "html":
        return Path(result.main).parent / "model.glb"
    return None


def _shown(path: Path, out: Path) -> str:
    try:
        return path.relative_to(out).as_posix()
    except ValueError:
        return path.name


def _print_result(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(row, ensure_ascii=False, default=str))
        return
    line = f"item {row['item']} -> {printable(', '.join(row['files']))}"
    web = row.get("web")
    if web:
        err = web.get("geometric_error") or {}
        line += (f"\n  {web['bytes'] / 1e6:.2f} MB"
                 + (f" (budget {web['budget'] / 1e6:.0f} MB)" if web.get("budget") else "")
                 + f", {web['triangles']} triangles of {web['master_triangles']}"
                 + (f", {web['points']} points of {web['master_points']}" if web["master_points"] else "")
                 + (f", error mean {err['mean_relative']:.2e} max {err['max_relative']:.2e} of the diagonal"
                    if err else ""))
        for tex in web.get("textures", []):
            line += f"\n  texture {tex.get('map', '')} {tex['width']}x{tex['height']} {tex['mime']} {tex['how']}"
    if "validator" in row:
        v = row["validator"]
        line += f"\n  glTF validator: {v['errors']} errors, {v['warnings']} warnings"
    for note in row.get("notes", []):
        line += f"\n  note: {printable(note)}"
    print(line)


def cmd_site(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        report = build_site(archive, Path(args.out), collection=args.collection, profile=args.profile,
                            include_unpublished=args.include_unpublished, base_url=args.base_url or "",
                            render_image=None if args.no_poster else render_image, up_axis=args.up_axis,
                            progress=_progress_for(args), tile_url=args.tile_url or "")
    print(f"site written to {printable(report.out)}: {report.items} items, {report.bytes / 1e6:.1f} MB")
    for s in report.skipped:  # each item that failed; the others are in the site
        print(f"error: item {s['item']} is not in the site: {printable(s['reason'])}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    return 1 if report.skipped else 0


def cmd_open_data(args: argparse.Namespace) -> int:
    from archive.publish.opendata import write_open_data

    with _archive(args) as archive:
        report = write_open_data(archive, Path(args.out), base_url=args.base_url or "", collection=args.collection)
    print(f"open data written to {printable(report.out)}: {report.items} published items, "
          f"{report.annotations} annotation(s) ({', '.join(report.files)})")
    for note in report.notes:  # public records left out: flagged for review, or on an older master version
        print(f"note: {printable(note)}", file=sys.stderr)
    print(f"serve it with: datasette {printable(report.out / 'heritage.db')} -m "
          f"{printable(report.out / 'metadata.json')}  (pip install heritage-archive[publish])")
    return 0


def cmd_import_bag(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        result = import_bag_report(archive, Path(args.bag))
        item = archive.get(result.item_id, with_assets=False)
    print(f"imported item {result.item_id} ({printable(item['accession'])}: {printable(item['title'])})")
    for note in result.notes:  # e.g. a serving vessel that is not in this archive yet
        print(f"note: {printable(note)}")
    return 0


def register(subparsers: Any) -> None:
    """Add the publishing commands to ``heritage``'s subparsers."""
    p = subparsers.add_parser("export", help="export items (web GLB, OBJ, PLY, STL, HTML page, BagIt bag)",
                              description="Export items; only public fields are written (except in bags).")
    p.add_argument("ids", nargs="+", type=int, metavar="ID")
    p.add_argument("--to", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--format", choices=FORMATS, default="glb")
    p.add_argument("--profile", choices=list(PROFILES), default="web",
                   help="size budget: archive (full), web (≤10 MB), mobile (≤3 MB)")
    _common(p)
    p.add_argument("--compress", choices=("none", "draco"), default="none",
                   help="mesh compression of GLB files (KHR_draco_mesh_compression; not used for HTML pages)")
    p.add_argument("--validate", choices=("auto", "yes", "no"), default="auto",
                   help="run the Khronos glTF validator on written GLBs (auto: when installed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("site", help="build the static catalogue site", description="Build a static site of "
                              "published items: index with search and filters, item pages, sitemap.")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--collection")
    p.add_argument("--profile", choices=list(PROFILES), default="web")
    p.add_argument("--include-unpublished", action="store_true", help="also items not yet published")
    p.add_argument("--base-url", metavar="URL", help="public address of the site (sitemap, Open Graph)")
    p.add_argument("--tile-url", metavar="URL", help="map tiles for map.html, e.g. https://tiles.example/{z}/{x}/{y}"
                   ".png (default: none; the map is an outline shipped with the site and fetches nothing)")
    _common(p)
    p.set_defaults(func=cmd_site)

    p = subparsers.add_parser("open-data", help="write the public catalogue as open data (SQLite for Datasette, "
                              "CSV, JSON-LD, DCAT)", description="Published items only, public fields only.")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--collection")
    p.add_argument("--base-url", metavar="URL", help="public address where the files will be served (DCAT)")
    p.set_defaults(func=cmd_open_data)

    p = subparsers.add_parser("import-bag", help="import an item from a BagIt bag made by `export --format bag`")
    p.add_argument("bag", metavar="BAG")
    p.set_defaults(func=cmd_import_bag)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--up-axis", choices=("auto", "y", "z"), default="auto",
                   help="up axis of the masters (auto: as recorded, else y); web copies are always y-up")
    p.add_argument("--no-poster", action="store_true", help="do not render posters and thumbnails")
