"""Which asset an item is shown by, and which way is up for it (no Qt: the CLI uses it too)."""

from __future__ import annotations

from typing import Any


def master_asset(assets: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The asset an item is shown by: its newest master, else its newest asset
    (the one ``Archive.master_path`` names)."""
    masters = [a for a in assets if a.get("role") == "master"] or assets
    return masters[-1] if masters else None


def recorded_up_axis(asset: dict[str, Any] | None) -> str:
    """"y" or "z": the asset's ``up_axis`` field, else its capture details', else glTF's "y" —
    export's own rule, so a thumbnail stands as the exported model does."""
    from archive.publish import resolve_up_axis  # imported late: publishing pulls in the glTF tools

    return resolve_up_axis("auto", asset or {})
