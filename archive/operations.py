"""The archive's long operations as ``Archive`` methods, so that callers (the app, the CLI,
scripts) reach all of them through the one door. The modules doing the work are imported
when first used: they pull in trimesh and SciPy, which a GUI thread should not wait for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import NotFound
from .reports import CsvReport, ImportOptions, ImportReport, VerifyReport
from .store import CancelToken

if TYPE_CHECKING:
    from .namefix import NameFixReport
    from .readable import Readable
    from .service import Archive

Progress = Callable[[int, int, str], None]


class Operations:
    """Mixed into ``Archive``; each method hands over to the module that does the work."""

    @property
    def _archive(self) -> Archive:
        return cast("Archive", self)  # only ever mixed into Archive

    def import_paths(self, paths: list[Path], options: ImportOptions | None = None,
                     progress: Progress | None = None, cancel: CancelToken | None = None) -> ImportReport:
        """Import scans (files, folders, zips), all or nothing per scan; see ``archive.importer``."""
        from .importer import import_paths

        return import_paths(self._archive, paths, options, progress, cancel)

    @staticmethod
    def read_metadata_csv(path: Path) -> dict[str, dict[str, str]]:
        """Rows of a metadata CSV keyed by their ``file`` column, for ``ImportOptions.metadata``."""
        from .importer import read_metadata_csv

        return read_metadata_csv(path)

    def clean_asset_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validated asset fields (paradata: role, capture method, units…); raises ValidationError."""
        from .validation import clean_asset_changes

        return clean_asset_changes(values, self._archive.lookup_vocabulary)

    def verify(self, progress: Progress | None = None, cancel: CancelToken | None = None) -> VerifyReport:
        """Re-hash every stored file and check the catalogue; logs a fixity event."""
        from .verify import verify

        return verify(self._archive, progress, cancel)

    def fix_names(self, dry_run: bool = False, progress: Progress | None = None) -> NameFixReport:
        """Move the files an earlier layout stored under names Windows cannot hold (an archive
        made before portable names, or copied from Linux) to their stored names today; files
        already there are not touched. Each asset's moves are one ``filename-change`` event.
        ``dry_run`` only reports. See ``archive.namefix``."""
        from .namefix import fix_names

        return fix_names(self._archive, dry_run, progress)

    def backup(self, dest: Path, progress: Progress | None = None, link: bool = False) -> Path:
        """A consistent backup folder ``dest`` made while the archive is in use."""
        from .backup import backup

        return backup(self._archive, dest, progress, link)

    def auto_backup(self, keep: int = 5, min_age_hours: float = 20.0) -> Path | None:
        """The rotating backup under ``backups/`` (the newest ``keep`` are kept); None when one
        under ``min_age_hours`` old exists."""
        from .health import auto_backup

        return auto_backup(self._archive, keep, min_age_hours)

    @staticmethod
    def restore(backup_dir: Path, dest: Path, progress: Progress | None = None) -> Path:
        """Rebuild an archive in ``dest`` (new or empty folder) from a backup."""
        from .backup import restore

        return restore(backup_dir, dest, progress)

    def build_levels(self, progress: Progress | None = None, cancel: CancelToken | None = None,
                     item_ids: list[int] | None = None) -> Any:
        """Build the missing levels of detail of every item's master (or of ``item_ids``)
        under ``derived/levels/``; levels already made for the same master hash are kept.
        Returns an ``archive.levels.LevelsReport``; see ``archive.levels``."""
        from .levels import build_archive_levels

        return build_archive_levels(self._archive, item_ids, progress, cancel)

    def levels(self, item_id: int) -> list[Any]:
        """The kept levels (``archive.levels.LevelInfo``) of an item's current master, finest first."""
        from .levels import item_levels

        return item_levels(self._archive, item_id)

    def level_path(self, item_id: int, max_primitives: int | None = None) -> Path | None:
        """The finest kept level of the item's master with at most ``max_primitives`` triangles
        (points for a cloud), else its coarsest; None when no level was made for this master.
        A level is a binary PLY in the master's own frame and units."""
        from .levels import choose_level, item_levels

        chosen = choose_level(item_levels(self._archive, item_id), max_primitives)
        return None if chosen is None else chosen.path

    def readable(self, asset: Mapping[str, Any]) -> Readable:
        """Where readers open ``asset`` (a row of ``assets()``): ``.main`` and ``.files`` (original
        relative path -> file), with references between the files resolving even when some are
        stored under portable names; made once under ``derived/r1/``. See ``archive.readable``."""
        from .readable import readable_asset

        archive = self._archive
        return readable_asset(archive.store.root, None if archive.read_only else archive.store.derived, asset)

    def readable_master(self, item_id: int) -> Path:
        """The file every reader (viewer, thumbnails, levels, snapshot, compare) opens for the
        item's current master; ``master_path`` is where it is stored."""
        archive = self._archive
        master = archive.catalogue.current_master(item_id)
        if master is None:
            raise NotFound(f"Item {item_id} has no 3D model")
        asset = next((a for a in archive.assets(item_id) if a.get("uid") == master[0]), None)
        return archive.master_path(item_id) if asset is None else self.readable(asset).main

    def pick_index(self, item_id: int) -> Path | None:
        """The manifest of the spatial index of the item's current master (``archive.pickindex``,
        read by ``viewer.pickindex``) for picking at full resolution; None until it is built
        (``build_levels`` builds it with the levels)."""
        from .levels import master_of
        from .pickindex import find_pick_index

        found = master_of(self._archive, item_id)
        if found is None:
            return None
        uid, _, sha = found
        return find_pick_index(self._archive.store.derived / "levels" / uid, sha)

    def export_csv(self, path: Path, labels: str | None = None) -> int:
        """Every item's metadata as a CSV file; returns how many items were written. ``labels``
        ("vi" or "en") heads the columns with the fields' labels, their names on a second row."""
        from .csvio import export_csv

        return export_csv(self._archive, path, labels=labels)

    def import_csv(self, path: Path, dry_run: bool = False, skip_bad: bool = False) -> CsvReport:
        """Create or update items from a CSV; nothing changes when a row is invalid unless ``skip_bad``."""
        from .csvio import import_csv

        return import_csv(self._archive, path, dry_run=dry_run, skip_bad=skip_bad)
