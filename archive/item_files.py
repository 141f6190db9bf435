"""Where an item's files are: its assets and their stored files, the master scan's path, and the
thumbnails derived from it. ``ItemFiles`` is mixed into ``archive.Archive`` (the one door)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import NotFound
from .records import asset_from_row
from .store import CancelToken

if TYPE_CHECKING:
    from .service import Archive


class ItemFiles:
    """Mixed into ``Archive``: an item's assets and files, read from the catalogue and the store."""

    @property
    def _archive(self) -> Archive:
        return cast("Archive", self)  # only ever mixed into Archive

    def assets(self, item_id: int) -> list[dict[str, Any]]:
        assets = [asset_from_row(r) for r in self._archive.catalogue.asset_rows(item_id)]
        for asset in assets:
            asset["files"] = self._archive.catalogue.file_rows(asset["id"])
        return assets

    def asset(self, asset_id: int) -> dict[str, Any]:
        row = self._archive.catalogue.asset_row(asset_id)
        if row is None:
            raise NotFound(f"There is no asset {asset_id}")
        asset = asset_from_row(row)
        asset["files"] = self._archive.catalogue.file_rows(asset_id)
        return asset

    def master_path(self, item_id: int) -> Path:
        """Path of the item's current master scan: the newest master asset's main file."""
        master = self._archive.catalogue.current_master(item_id)
        if master is None:
            raise NotFound(f"Item {item_id} has no 3D model")
        uid, storage_dir, main_file = master
        self._archive.store.require_reachable()  # the shared folder went away: say so, not "no such file"
        return self._master_file(item_id, uid, storage_dir, main_file)

    def asset_path(self, asset: Mapping[str, Any]) -> Path:
        if "files" in asset:
            return self._archive.store.asset_file(asset, asset["main_file"])
        return self._archive.store.path(asset["storage_dir"], asset["main_file"])

    def _master_file(self, item_id: int, uid: str, storage_dir: str, main_file: str) -> Path:
        """The stored master file (its stored name depends on all the asset's recorded paths)."""
        asset = next((a for a in self.assets(item_id) if a.get("uid") == uid), None)
        names = [f["path"] for f in asset.get("files") or []] if asset else None
        return self._archive.store.path(storage_dir, main_file, names)

    # -- derived files -------------------------------------------------------------------
    def thumbnail_path(self, item_id: int) -> Path | None:
        """The item's thumbnail PNG if one has been rendered (``derived/thumbnails``)."""
        master = self._archive.catalogue.current_master(item_id)
        if master is None:
            return None
        path = self._archive.store.derived / "thumbnails" / f"{master[0]}.png"
        return path if path.exists() else None

    def ensure_thumbnails(self, render: Callable[[Path], bytes], item_ids: Iterable[int] | None = None,
                          cancel: CancelToken | None = None) -> int:
        """Render missing thumbnails with ``render(master_path) -> PNG bytes`` (the app passes
        the viewer's renderer; the archive never imports it). Returns how many were made."""
        made = 0
        if self._archive.read_only or not self._archive.store.objects.is_dir():
            return made  # nowhere to keep them, or the shared folder went away; the app shows none
        for item_id in item_ids if item_ids is not None else self._archive.search_ids():
            if cancel:
                cancel.check()
            master = self._archive.catalogue.current_master(item_id)
            if master is None:
                continue
            uid, storage_dir, main_file = master
            target = self._archive.store.derived / "thumbnails" / f"{uid}.png"
            if target.exists():
                continue
            png = render(self._archive.readable_master(item_id))  # side files resolve (archive.readable)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{uid}.{uuid.uuid4().hex}.tmp")  # another PC may write the same one
            tmp.write_bytes(png)
            tmp.replace(target)
            made += 1
        return made
