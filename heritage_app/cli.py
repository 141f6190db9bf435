"""``heritage``: the command line over ``archive.Archive``.

Exit codes: 0 success; 1 when any path or check failed (the rest is still done);
2 usage error. Errors are one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archive import Archive, ArchiveError, ImportOptions, SearchQuery
from archive.errors import ValidationError
from archive.fields import ASSET_FIELD, ITEM_FIELD
from archive.text import printable

Handler = Callable[[argparse.Namespace], int]


def default_archive_dir() -> Path:
    """$HERITAGE_ARCHIVE, else ``archive`` in the user's data folder (platform_support.locations)."""
    from platform_support.locations import default_archive_dir

    return default_archive_dir()


def _archive(args: argparse.Namespace) -> Archive:
    archive = Archive.open(args.archive or default_archive_dir())
    for warning in archive.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    return archive


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _item_json(archive: Archive, item_id: int) -> dict[str, Any]:
    item = archive.get(item_id)
    item["title"] = item["title_vi"] or item["title_en"] or item["accession"]
    return item


def _print_rows(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        print(f"{r['id']:>6}  {printable(r['accession']):<14} {r['kind']:<6} {r['status']:<9} {printable(r['title'])}")


def parse_sets(pairs: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``FIELD=VALUE`` pairs, split into item fields and asset (paradata) fields."""
    items: dict[str, str] = {}
    assets: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep:
            raise ValidationError(name or pair, "expected FIELD=VALUE")
        if name in ITEM_FIELD:
            items[name] = value
        elif name in ASSET_FIELD:
            assets[name] = value
        else:
            raise ValidationError(name, "is not a field (see `heritage fields`)")
    return items, assets


# -- commands --------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.dir or args.archive or default_archive_dir())
    Archive.create(root, catalogue=args.catalogue).close()
    kind = "team archive (catalogue on PostgreSQL)" if args.catalogue else "archive"
    print(f"Created an empty {kind} in {printable(root)}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    dest = Archive.migrate(args.src, args.dest, catalogue=args.catalogue, progress=_progress)
    kind = "a team archive" if args.catalogue else "a single-user archive"
    print(f"migrated {printable(args.src)} into {kind} in {printable(dest)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from archive.demo import build_demo

    ids = build_demo(Path(args.dir))
    print(f"Created the demo archive in {printable(args.dir)} with {len(ids)} items")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    item_fields, asset_fields = parse_sets(args.set)
    options = ImportOptions(kind=args.kind, title=args.title, collection=args.collection,
                            item_fields=item_fields, asset_fields=asset_fields, item_id=args.item)
    if args.metadata:
        options.metadata = Archive.read_metadata_csv(Path(args.metadata))
    with _archive(args) as archive:
        progress = None if args.json or not sys.stderr.isatty() else _progress
        report = archive.import_paths([Path(p) for p in args.paths], options, progress)
        if args.json:
            _print_json({"items": [_item_json(archive, i) for i in sorted(set(report.imported))],
                         "errors": report.errors, "warnings": report.warnings, "skipped": report.skipped})
        else:
            for item_id in sorted(set(report.imported)):
                print(f"imported  {item_id}  {printable(archive.get(item_id, with_assets=False)['title'])}")
            for w in report.warnings:
                print(f"warning   {printable(w['path'])}: {printable(w['warning'])}", file=sys.stderr)
            for e in report.errors:
                print(f"error: {printable(e['path'])}: {printable(e['error'])}", file=sys.stderr)
    return 1 if report.errors else 0


def _progress(done: int, total: int, message: str) -> None:
    print(f"\r[{done}/{total}] {printable(message)[:70]:<70}", end="" if done < total else "\n", file=sys.stderr)


def _query(args: argparse.Namespace, text: str = "") -> SearchQuery:
    return SearchQuery(text=text, kind=args.kind, status=getattr(args, "status", None),
                       collection=getattr(args, "collection", None), sort=args.sort,
                       limit=args.limit)


def cmd_list(args: argparse.Namespace) -> int:
    return _show_results(args, _query(args))


def cmd_search(args: argparse.Namespace) -> int:
    return _show_results(args, _query(args, args.query))


def _show_results(args: argparse.Namespace, query: SearchQuery) -> int:
    with _archive(args) as archive:
        ids = archive.search_ids(query)
        if args.json:
            _print_json([_item_json(archive, i) for i in ids])
        else:
            _print_rows(archive.rows(ids))
            sys.stdout.flush()  # the rows reach a shared console or pipe before the count, which follows them
            print(f"{len(ids)} item(s)", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        item = _item_json(archive, args.id)
        if args.json:
            _print_json(item)
            return 0
        for key, value in item.items():
            if key == "assets" or value in (None, [], ""):
                continue
            print(f"{key:>18}: {printable('; '.join(map(str, value)) if isinstance(value, list) else value)}")
        for asset in item["assets"]:
            print(f"\n  asset {asset['id']} ({asset['role']}, {asset['format']}): {asset['vertices']} vertices,"
                  f" {asset['faces']} faces, {asset['points']} points, textured={asset['textured']}")
            for f in asset["files"]:
                print(f"    {printable(f['path'])}  {f['bytes']} bytes  sha256 {f['sha256'][:16]}…")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    item_fields, asset_fields = parse_sets(args.set)
    if asset_fields:
        raise ValidationError(next(iter(asset_fields)),
                              "is a field of a scan (asset): set it with `heritage asset ASSET_ID --set …`")
    with _archive(args) as archive:
        change = archive.update(args.id, item_fields)
        for name, (old, new) in change.fields.items():
            print(f"{name}: {printable(repr(old))} -> {printable(repr(new))}")
        if not change.fields:
            print("nothing changed")
    return 0


def cmd_asset(args: argparse.Namespace) -> int:
    """Show one asset's fields, or correct them (units, up axis…): the stored files never change."""
    item_fields, asset_fields = parse_sets(args.set)
    if item_fields:
        name = next(iter(item_fields))
        raise ValidationError(name, f"is a field of an item; use `heritage edit ITEM_ID --set {name}=…`")
    with _archive(args) as archive:
        if asset_fields:
            change = archive.update_asset(args.id, asset_fields)
            for name, (old, new) in change.fields.items():
                print(f"{name}: {printable(repr(old))} -> {printable(repr(new))}")
            if not change.fields:
                print("nothing changed")
            return 0
        asset = archive.asset(args.id)
        if args.json:
            _print_json(asset)
            return 0
        for key, value in asset.items():
            if key != "files" and value not in (None, [], {}, ""):
                print(f"{key:>18}: {printable(str(value))}")
        for f in asset["files"]:
            print(f"    {printable(f['path'])}  {f['bytes']} bytes  sha256 {f['sha256'][:16]}…")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        archive.get(args.id, with_assets=False)
        events = archive.history(args.id)
        if args.json:
            _print_json(events)
            return 0
        for e in events:
            what = f"{e['field']}: {e['old_value']!r} -> {e['new_value']!r}" if e["field"] else (e["detail"] or "")
            print(f"{e['at']}  {printable(e['agent']):<12} {e['type']:<8} {e['outcome']:<8} {printable(what)}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        if not args.yes:
            item = archive.get(args.id, with_assets=False)
            print(f"error: deleting item {args.id} ({printable(item['title'])}) needs --yes", file=sys.stderr)
            return 1
        kept = archive.delete(args.id, confirmed=True)
        print(f"deleted item {args.id}; its files were moved to {printable(kept)}")
    return 0


def cmd_csv_export(args: argparse.Namespace) -> int:
    labels = {"labels": args.labels} if args.labels else {}  # headers in words, field names below
    with _archive(args) as archive:
        n = archive.export_csv(Path(args.file), **labels)
    print(f"wrote {n} items to {printable(args.file)}")
    return 0


def cmd_csv_import(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        report = archive.import_csv(Path(args.file), dry_run=args.dry_run, skip_bad=args.skip_bad)
    for e in report.errors:
        print(f"error: row {e['row']}: {printable(e['error'])}", file=sys.stderr)
    for c in report.changes:
        print(printable(f"{c['accession']} (row {c['row']}): {c['field']}: {c['old']!r} → {c['new']!r}"))
    for note in getattr(report, "notes", []):
        print(f"note: {printable(note)}")
    if report.applied:
        print(f"updated {report.updated}, created {report.created}; {report.unchanged} unchanged")
    else:
        why = "dry run" if args.dry_run else "some rows are invalid; fix them or use --skip-bad"
        print(f"would update {report.updated}, create {report.created}; {report.unchanged} unchanged"
              f" (nothing changed: {why})")
    return 1 if report.errors else 0


def cmd_verify(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        report = archive.verify()
    if args.json:
        _print_json({"ok": report.ok, "counts": report.counts, "database": report.database, "files": report.files})
    else:
        for f in report.files:
            if f["status"] != "ok":
                item = f"{printable(f['item'])}: " if f.get("item") else ""  # untracked files belong to no item
                print(f"{f['status']:<9} {item}{printable(f['path'])}  expected {f['expected']}  actual {f['actual']}")
        for problem in report.database:
            print(f"database  {printable(problem)}")
        print(", ".join(f"{n} {k}" for k, n in report.counts.items()))
        if report.counts.get("misnamed"):
            print("misnamed files are whole but stored under earlier names: `heritage fix-names` moves them")
    return 0 if report.ok else 1


def cmd_fix_names(args: argparse.Namespace) -> int:
    """Move files stored under an earlier layout's names (what verify calls misnamed)."""
    with _archive(args) as archive:
        report = archive.fix_names(dry_run=args.dry_run)
    if args.json:
        _print_json({"applied": report.applied, "moved": report.moved, "left": report.left})
        return 1 if report.left else 0
    for m in report.moved:
        print(f"{'would move' if args.dry_run else 'moved'} {printable(m['from'])} -> {printable(m['to'])}")
    for left in report.left:
        print(f"left      {printable(left['path'])}: {left['reason']}")
    print(f"{len(report.moved)} file(s) {'to move' if args.dry_run else 'moved'}, {len(report.left)} left alone")
    return 1 if report.left else 0


def cmd_backup(args: argparse.Namespace) -> int:
    if not args.dir and not args.auto:
        raise ValidationError("dir", "give a folder for the backup, or --auto for the rotating backups")
    with _archive(args) as archive:
        if args.auto:  # for a daily scheduled task: keeps the newest --keep, never drops a good one for a bad one
            made = archive.auto_backup(keep=args.keep, min_age_hours=0 if args.now else 20)
            print(f"backup written to {printable(made)}" if made else
                  "a recent automatic backup exists, or another computer is making one now; nothing to do")
            return 0
        dest = archive.backup(Path(args.dir))
    print(f"backup written to {printable(dest)}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    dest = Archive.restore(Path(args.backup), Path(args.dir))
    print(f"archive restored into {printable(dest)}")
    return 0


def cmd_vocab(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        if args.value:
            archive.add_vocabulary(args.name, args.value, args.label or "")
            print(f"added {printable(repr(args.value))} to {printable(args.name)}")
            return 0
        names = [args.name] if args.name else archive.vocabulary_names()
        for name in names:
            print(f"{printable(name)}:")
            for entry in archive.vocabulary(name):
                label = f"  ({printable(entry['label_en'])})" if entry["label_en"] else ""
                print(f"  {printable(entry['value'])}{label}")
    return 0


def cmd_fields(args: argparse.Namespace) -> int:
    for f in (*ITEM_FIELD.values(), *ASSET_FIELD.values()):
        where = "asset" if f.name in ASSET_FIELD else "/".join(sorted(f.kinds))
        extra = f" one of {', '.join(f.choices)}" if f.choices else ""
        print(f"{f.name:<18} {f.type:<8} {where:<17} {'private ' if f.private else ''}{f.label_en}{extra}")
    return 0


def cmd_thumbnails(args: argparse.Namespace) -> int:
    """Render missing thumbnails with the viewer (the archive itself never imports it)."""
    from viewer import render_thumbnail

    from .up_axis import master_asset, recorded_up_axis

    failed = 0
    with _archive(args) as archive:
        made = 0
        for item_id in archive.search_ids():
            up = recorded_up_axis(master_asset(archive.assets(item_id)))  # a Z-up scan stands up

            def render(path: Path, up: str = up) -> bytes:
                return render_thumbnail(path, size=args.size, up_axis=up)

            try:
                made += archive.ensure_thumbnails(render, [item_id])
            except Exception as exc:  # noqa: BLE001 - one bad model must not stop the others
                failed += 1
                print(f"error: item {item_id}: {printable(exc)}", file=sys.stderr)
    print(f"rendered {made} thumbnail(s)")
    return 1 if failed else 0


def cmd_levels(args: argparse.Namespace) -> int:
    """Build the missing levels of detail of the given items (all by default), with progress."""
    with _archive(args) as archive:
        ids = [int(i) for i in args.items] or None
        report = archive.build_levels(_progress if sys.stderr.isatty() else None, None, ids)
        for item_id in report.built:
            kept = ", ".join(f"L{lv.level} {lv.primitives:,}" for lv in archive.levels(item_id))
            print(f"built     {item_id}  {kept}")
        for item_id in report.kept:
            print(f"kept      {item_id}")
        for item_id in report.small:
            print(f"small     {item_id}  (light enough to need no levels)")
        for item_id, message in report.failed.items():
            print(f"error: item {item_id}: {printable(message)}", file=sys.stderr)
    return 1 if report.failed else 0


def cmd_summary(args: argparse.Namespace) -> int:
    with _archive(args) as archive:
        ids = archive.search_ids()
        print(f"Archive {printable(archive.root)}: {len(ids)} items")
        _print_rows(archive.rows(ids[:50]))
    return 0


# -- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heritage", description="Heritage & Cuisine 3D Archive")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--archive", metavar="DIR",
                        help="archive folder (default: $HERITAGE_ARCHIVE, else a per-user data folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=handler)
        return p

    p = add("init", cmd_init, "create an empty archive")
    p.add_argument("dir", nargs="?", help="the new archive's folder (default: --archive)")
    p.add_argument("--catalogue", metavar="URL",
                   help="a team archive: postgresql://USER@HOST/DATABASE, an empty database (no password here)")
    p = add("migrate", cmd_migrate, "copy an archive into a new single-user or team archive")
    p.add_argument("src")
    p.add_argument("dest", help="a new folder")
    p.add_argument("--catalogue", metavar="URL", help="make DEST a team archive on this empty PostgreSQL database")
    add("demo", cmd_demo, "create a demo archive of Hue relics and dishes").add_argument("dir")
    p = add("import", cmd_import, "import scans (files, folders, .zip)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--kind", choices=("relic", "dish", "other"), default="other")
    p.add_argument("--title")
    p.add_argument("--collection")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="an item field or capture paradata (capture_method, units, …); repeatable")
    p.add_argument("--metadata", metavar="CSV", help="CSV with a 'file' column and field columns")
    p.add_argument("--item", type=int, metavar="ID", help="add the scans as new versions of this item")
    p.add_argument("--json", action="store_true")
    for name, handler in (("list", cmd_list), ("search", cmd_search)):
        p = add(name, handler, f"{name} items")
        if name == "search":
            p.add_argument("query")
        p.add_argument("--kind", choices=("relic", "dish", "other"))
        p.add_argument("--status", choices=("draft", "reviewed", "published"))
        p.add_argument("--collection")
        p.add_argument("--sort", default="relevance" if name == "search" else "id")
        p.add_argument("--limit", type=int)
        p.add_argument("--json", action="store_true")
    p = add("show", cmd_show, "show one item")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p = add("edit", cmd_edit, "change fields of an item")
    p.add_argument("id", type=int)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", required=True)
    p = add("asset", cmd_asset, "show an asset's fields, or correct its units, up axis or capture details")
    p.add_argument("id", type=int, metavar="ASSET_ID", help="an asset id (see `heritage show ITEM_ID`)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="an asset field (units, up_axis, capture_method, …); repeatable")
    p.add_argument("--json", action="store_true")
    p = add("history", cmd_history, "the events of an item")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p = add("delete", cmd_delete, "delete an item (its files are moved to deleted/)")
    p.add_argument("id", type=int)
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
    p = add("csv-export", cmd_csv_export, "export all items to CSV")
    p.add_argument("file")
    p.add_argument("--labels", choices=("vi", "en"),
                   help="a first header row of Vietnamese or English labels (field names stay in the second)")
    p = add("csv-import", cmd_csv_import, "create or update items from CSV")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    p.add_argument("--skip-bad", action="store_true", help="apply the valid rows even if some are invalid")
    add("verify", cmd_verify, "check every stored file and the catalogue").add_argument("--json", action="store_true")
    p = add("fix-names", cmd_fix_names, "move files an older archive stored under names Windows cannot hold")
    p.add_argument("--dry-run", action="store_true", help="say what would move, move nothing")
    p.add_argument("--json", action="store_true")
    p = add("backup", cmd_backup, "make a consistent backup")
    p.add_argument("dir", nargs="?", help="a new folder for the backup")
    p.add_argument("--auto", action="store_true", help="rotating backups inside the archive (backups/auto-*)")
    p.add_argument("--keep", type=int, default=5, help="with --auto: how many to keep (default 5)")
    p.add_argument("--now", action="store_true", help="with --auto: even if one was made in the last 20 hours")
    p = add("restore", cmd_restore, "rebuild an archive from a backup")
    p.add_argument("backup")
    p.add_argument("dir")
    p = add("vocab", cmd_vocab, "list or extend the controlled vocabularies")
    p.add_argument("name", nargs="?")
    p.add_argument("value", nargs="?", help="a value to add")
    p.add_argument("--label", help="English label of the new value")
    add("fields", cmd_fields, "list the catalogue's fields")
    add("summary", cmd_summary, "a short summary of the archive")
    add("thumbnails", cmd_thumbnails, "render missing thumbnails").add_argument("--size", type=int, default=256)
    add("levels", cmd_levels, "build the missing levels of detail (derived/levels/) of items").add_argument(
        "items", nargs="*", metavar="ITEM_ID", help="items to build for (default: every item)")
    _add_viewer_and_publish_commands(sub)
    return parser


def _add_viewer_and_publish_commands(sub: Any) -> None:
    """The viewer's and publishing's commands register themselves here. A module that fails to
    import fails the CLI loudly: hiding it would silently remove commands. (Imported here, not
    at the top: publish_cli imports this module.)"""
    from . import publish_cli, team_cli, viewer_cli

    viewer_cli.add_viewer_commands(sub)
    publish_cli.register(sub)
    from . import records_cli  # research records: annotations, annotate, measure, records-export/-import

    records_cli.register(sub)
    team_cli.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    from . import logs

    logs.start_logging("heritage")  # the same file as the app's (logs.py: no field values in it)
    try:
        parser = build_parser()  # the 3D commands' choices come from the viewer, which loads Open3D
    except (ImportError, OSError) as exc:  # e.g. libGL missing: one line naming it, not a traceback
        from platform_support import open3d_error_message

        _log_crash(exc)
        print(f"error: {open3d_error_message(exc)}", file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    started = logs.command_started(args)
    code, error = _run(args)
    logs.command_finished(args, started, code, error)
    return code


def _run(args: argparse.Namespace) -> tuple[int, BaseException | None]:
    """The command's exit code, and the error that ended it (for the log)."""
    try:
        return int(args.func(args)), None
    except ArchiveError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 1, exc
    except KeyboardInterrupt as exc:
        print("error: interrupted; nothing was changed", file=sys.stderr)
        return 1, exc
    except BrokenPipeError:
        return 0, None
    except (ImportError, OSError) as exc:  # a command that loads Open3D on a box without libGL
        _log_crash(exc)
        from platform_support import open3d_error_message, open3d_failed_to_load

        if open3d_failed_to_load(exc):
            print(f"error: {printable(open3d_error_message(exc))}", file=sys.stderr)
        else:
            print(f"error: unexpected problem ({type(exc).__name__}: {printable(exc)});"
                  f" details in {printable(_crash_log())}", file=sys.stderr)
        return 1, exc
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the log gets the rest
        _log_crash(exc)
        print(f"error: unexpected problem ({type(exc).__name__}: {printable(exc)});"
              f" details in {printable(_crash_log())}", file=sys.stderr)
        return 1, exc


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("heritage-archive")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "(source tree)"


def _crash_log() -> Path:
    """The log file the crash traceback goes to: the app's and the CLI's one rotating log."""
    from platform_support.locations import log_file

    return log_file()


def _log_crash(exc: BaseException) -> None:
    import logging

    # The traceback's exception lines are redacted on the way to the file (logs.RedactingFilter).
    logging.getLogger("heritage").error("unexpected problem", exc_info=exc)


if __name__ == "__main__":
    sys.exit(main())
