"""``heritage annotations|annotate|measure|records-export|records-import``: research records from
the command line, and ``heritage vocab-id`` for the external ids of vocabulary terms (registered by
cli.py). The work is done by ``archive.Archive`` (see ``archive.research``); this module parses
arguments and prints results.

Coordinates are ``X,Y,Z`` in the item's master scan's own coordinates and units (what
``heritage asset ASSET_ID`` shows as its bounding box). A malformed coordinate is a usage error
(exit 2); a value the archive refuses (a point outside the model, a missing title) exits 1 with
one line naming the field.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import Any

from archive.text import printable

from .cli import _archive, _print_json

# argparse takes "-5,0,0" for an option; a coordinate triple may start with a minus sign.
_NEGATIVE_OR_TRIPLE = re.compile(r"^-\d+$|^-\d*\.\d+$|^-?[\d.]+(?:[eE][-+]?\d+)?(?:,\s*-?[\d.]+(?:[eE][-+]?\d+)?){2}$")


def xyz(text: str) -> list[float]:
    """``"X,Y,Z"`` -> [x, y, z] (finite numbers); argparse reports anything else as a usage error."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3 or len(parts) != 3 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected three numbers X,Y,Z, not {printable(text)[:40]!r}")
    return values


def _describe(record: dict[str, Any]) -> str:
    """One line: id, kind, title, value and where it stands."""
    what = record["measure"] or record["kind"]
    title = record["title_vi"] or record["title_en"] or ""
    value = "" if record["value"] is None else f"  {_value(record)}"
    flags = ["public" if record["public"] else "private"] + (["NEEDS REVIEW"] if record["review"] != "ok" else [])
    points = " ".join("(" + ", ".join(f"{c:g}" for c in p) + ")" for p in record["points"][:3])
    more = f" +{len(record['points']) - 3}" if len(record["points"]) > 3 else ""
    return f"{record['id']:>5}  {what:<10} {printable(title)[:40]:<40}{value}  [{', '.join(flags)}]  {points}{more}"


def _value(record: dict[str, Any]) -> str:
    unit = record["unit"] or "units (unknown)"
    if record["measure"] == "angle":
        return f"{record['value']:.4g}°"
    if record["measure"] == "area":
        return f"{record['value']:.6g} {unit}²" if record["unit"] else f"{record['value']:.6g} square {unit}"
    return f"{record['value']:.6g} {unit}"


def cmd_annotations(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        records = archive.records(args.id, kind=args.kind, public_only=args.public_only)
    if args.json:
        _print_json(records)
        return 0
    for record in records:
        print(_describe(record))
    sys.stdout.flush()  # the records reach a shared console or pipe before the count, which follows them
    print(f"{len(records)} record(s)", file=sys.stderr)
    return 0


def cmd_annotate(args: argparse.Namespace) -> int:
    kind = "landmark" if args.landmark else "annotation"
    with _archive(args) as archive:
        record_id = archive.add_record(args.id, kind, [args.at], normal=args.normal, title_vi=args.title,
                                       title_en=args.title_en, text_vi=args.text, text_en=args.text_en,
                                       public=args.public)
        record = archive.record(record_id)
    if args.json:
        _print_json(record)
    else:
        print(f"added {kind} {record_id} to item {args.id} ({'public' if record['public'] else 'private'})")
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    points = [args.start, *args.via, args.end]
    measure = "distance" if not args.via else "polyline"
    with _archive(args) as archive:
        if args.save:
            record_id = archive.add_record(args.id, "measurement", points, measure=measure, title_vi=args.title,
                                           title_en=args.title_en, public=args.public)
            result = archive.record(record_id)
        else:
            result = archive.measure(args.id, measure, points)
    if args.json:
        _print_json(result)
        return 0
    print(f"{measure}: {_value(result)}")
    if args.save:
        print(f"saved as record {result['id']} of item {args.id}")
    return 0


def cmd_records_export(args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.all):
        raise argparse.ArgumentTypeError("give the items' ids or --all")  # turned into a usage error below
    with _archive(args) as archive:
        n = archive.export_records(Path(args.out), None if args.all else args.ids)
    print(f"wrote {n} record(s) to {printable(args.out)}")
    return 0


def cmd_records_import(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        report = archive.import_records(Path(args.file), dry_run=args.dry_run, skip_bad=args.skip_bad)
    for e in report.errors:
        print(f"error: row {e['row']}: {printable(e['error'])}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {printable(note)}")
    counts = f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    if report.applied:
        print(counts)
    else:
        why = "dry run" if args.dry_run else "some rows are invalid; fix them or use --skip-bad"
        print(f"would be {counts} (nothing changed: {why})")
    return 1 if report.errors else 0


def cmd_vocab_id(args: argparse.Namespace) -> int:
    """Show, set or clear (an empty id) the Getty AAT / Wikidata id of a vocabulary term."""
    with _archive(args) as archive:
        if args.external_id is not None:
            archive.set_vocabulary_external_id(args.name, args.value, args.external_id)
        term = archive.lookup_vocabulary(args.name, args.value)
        found = next((t for t in archive.vocabulary(args.name) if t["value"] == term), None)
    if found is None:
        print(f"error: {printable(repr(args.value))} is not in the vocabulary {printable(args.name)}", file=sys.stderr)
        return 1
    print(f"{printable(found['value'])}: {found['external_id'] or '(no external id)'}")
    return 0


def register(subparsers: Any) -> None:
    """Add the research-record commands to ``heritage``'s subparsers."""
    p = _parser(subparsers, "annotations", cmd_annotations, "list an item's research records (measurements, "
                "landmarks, annotations)")
    p.add_argument("--kind", choices=("measurement", "landmark", "annotation"))
    p.add_argument("--public-only", action="store_true", help="only the records that may be published")

    p = _parser(subparsers, "annotate", cmd_annotate, "add an annotation (or --landmark) at a point of an item's "
                "master scan")
    p.add_argument("--at", type=xyz, required=True, metavar="X,Y,Z", help="the point, in the scan's coordinates")
    p.add_argument("--title", help="title in Vietnamese")
    p.add_argument("--title-en", help="title in English")
    p.add_argument("--text", help="text in Vietnamese")
    p.add_argument("--text-en", help="text in English")
    p.add_argument("--normal", type=xyz, metavar="X,Y,Z", help="the surface's outward direction at the point")
    p.add_argument("--landmark", action="store_true", help="a named point rather than an annotation")
    p.add_argument("--public", action="store_true", help="may be published (default: private)")

    p = _parser(subparsers, "measure", cmd_measure, "measure a distance on an item's master scan (in its units)")
    p.add_argument("--from", dest="start", type=xyz, required=True, metavar="X,Y,Z")
    p.add_argument("--via", type=xyz, action="append", default=[], metavar="X,Y,Z",
                   help="a point between (repeatable): the length of the polyline")
    p.add_argument("--to", dest="end", type=xyz, required=True, metavar="X,Y,Z")
    p.add_argument("--save", action="store_true", help="keep the measurement as a record of the item")
    p.add_argument("--title", help="with --save: its title in Vietnamese")
    p.add_argument("--title-en", help="with --save: its title in English")
    p.add_argument("--public", action="store_true", help="with --save: may be published")

    p = subparsers.add_parser("records-export", help="write research records to a .csv or .json file",
                              description="Every record of the items (private ones too: for the archive's "
                              "own use), with their items' accession numbers.")
    p.add_argument("ids", nargs="*", type=int, metavar="ITEM_ID")
    p.add_argument("--all", action="store_true", help="every item's records")
    p.add_argument("--out", required=True, metavar="FILE", help="a .csv or .json file")
    p.set_defaults(func=_usage_errors(p, cmd_records_export))

    p = subparsers.add_parser("records-import", help="create or update research records from a .csv or .json file")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    p.add_argument("--skip-bad", action="store_true", help="apply the valid rows even if some are invalid")
    p.set_defaults(func=cmd_records_import)

    p = subparsers.add_parser("vocab-id", help="show or set a vocabulary term's Getty AAT or Wikidata id",
                              description="Align a term with Getty AAT or Wikidata (aat:300011914, "
                              "http://vocab.getty.edu/page/aat/300011914, wd:Q287, "
                              "https://www.wikidata.org/wiki/Q287); an empty id clears it.")
    p.add_argument("name", help="the vocabulary (materials, periods, …)")
    p.add_argument("value", help="the term")
    p.add_argument("external_id", nargs="?", help="the id to record (\"\" clears it)")
    p.set_defaults(func=cmd_vocab_id)


def _parser(subparsers: Any, name: str, handler: Any, help_: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(name, help=help_, description=help_)
    p._negative_number_matcher = _NEGATIVE_OR_TRIPLE  # type: ignore[attr-defined]  # "--at -5,0,0"
    p.add_argument("id", type=int, metavar="ITEM_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=handler)
    return p


def _usage_errors(parser: argparse.ArgumentParser, handler: Any) -> Any:
    """``handler``, with an ArgumentTypeError it raises reported as argparse's usage error (exit 2)."""
    def run(args: argparse.Namespace) -> int:
        try:
            return int(handler(args))
        except argparse.ArgumentTypeError as exc:
            parser.error(str(exc))
    return run
