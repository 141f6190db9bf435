"""``heritage comparisons ITEM_ID [--json]`` and what ``heritage compare --save`` needs: the
picked pairs of ``--pair`` and keeping a comparison in the archive (registered by viewer_cli)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from archive.text import printable


def add_comparisons_command(subparsers: Any) -> None:
    """Register ``comparisons`` on an argparse subparsers object."""
    cmd = subparsers.add_parser("comparisons", help="list the scan comparisons kept for an item (heritage compare "
                                                    "--save), as reference or compared scan")
    cmd.add_argument("item", type=int, help="item id")
    cmd.add_argument("--json", action="store_true", help="print them as JSON")
    cmd.set_defaults(func=run_comparisons)


def parse_pairs(texts: list[str]) -> list[list[list[float]]]:
    """``["AX,AY,AZ=BX,BY,BZ", ...]`` -> [[a_xyz, b_xyz], ...]; raises ValueError naming a bad one."""
    pairs = []
    for text in texts:
        try:
            a, b = text.split("=")
            pair = [[float(v) for v in side.split(",")] for side in (a, b)]
        except ValueError:
            pair = []
        if len(pair) != 2 or any(len(p) != 3 for p in pair):
            raise ValueError(f"--pair {text!r}: write a point on each scan as AX,AY,AZ=BX,BY,BZ")
        pairs.append(pair)
    return pairs


def save_in_archive(args: argparse.Namespace, reference_asset: int, compared_asset: int, result: Any,
                    compared: Any) -> dict[str, Any]:
    """Keep ``result`` in the archive of ``--archive``; returns the comparison as kept."""
    from archive import Archive

    from .compare_store import keep_comparison

    with Archive.open(args.archive) as archive:
        return archive.comparison(keep_comparison(archive, reference_asset, compared_asset, result, compared))


def run_comparisons(args: argparse.Namespace) -> int:
    from archive import Archive, ArchiveError

    from .cli import default_archive_dir

    try:
        with Archive.open(getattr(args, "archive", None) or default_archive_dir()) as archive:
            found = archive.comparisons(args.item)
    except ArchiveError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print(f"item {args.item} has no kept comparisons (heritage compare A B --save keeps one)")
    for c in found:
        print(comparison_line(c))
    return 0


def comparison_line(c: dict[str, Any]) -> str:
    """One line: which scan against which, when, the figures in real units."""
    from .compare_store import version_label

    s = c["summary"]
    u = s.get("unit") or "units"
    gone = "" if c["compared_asset_id"] is not None else " (no longer in the archive)"
    figures = ", ".join(f"{name} {s[key]:.4g} {u}" for name, key in
                        (("mean", "mean"), ("RMS", "rms"), ("p95", "p95"), ("max", "max")))
    return (f"{c['id']:>5}  {c['created_at'][:19].replace('T', ' ')}  {printable(version_label(c['compared']))}{gone}"
            f" against {printable(version_label(c['reference']))}: {figures}; {s['beyond_tolerance'] * 100:.2f} % "
            f"beyond {s['tolerance']:.4g} {u}")
