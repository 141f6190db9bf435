"""Export profiles (size budgets) and the small types every publishing module shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from archive.errors import ArchiveError

#: ``progress(done, total, message)``, as everywhere in the archive.
Progress = Callable[[int, int, str], None]
#: ``render_image(model_path, size_px) -> PNG bytes``; the app passes the viewer's renderer.
RenderImage = Callable[[Path, int], bytes]


class PublishError(ArchiveError):
    """An export could not be made; the message says what to change."""


class BudgetNotReached(PublishError):
    """The model cannot be brought under the profile's size budget."""


class ValidatorUnavailable(PublishError):
    """The Khronos glTF validator (node + npm package) is not installed."""


@dataclass(frozen=True)
class Profile:
    """How much of the master an export keeps.

    ``max_bytes`` is the budget of the web GLB (None: no budget); ``max_texture_px`` the
    longest side of any texture; ``max_triangles``/``max_points`` hard caps before the
    byte budget is applied; ``compress`` is ``"none"`` or ``"draco"`` (KHR_draco_mesh_compression).
    """

    name: str
    label: str
    max_bytes: int | None = None
    max_texture_px: int | None = None
    max_triangles: int | None = None
    max_points: int | None = None
    jpeg_quality: int = 88
    compress: str = "none"
    poster_px: int = 1024
    thumbnail_px: int = 320

    def with_overrides(self, **changes: object) -> Profile:
        clean = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **clean)  # type: ignore[arg-type]


MB = 1024 * 1024
PROFILES: dict[str, Profile] = {
    "archive": Profile("archive", "Archive (full resolution)"),
    "web": Profile("web", "Web (≤ 10 MB)", max_bytes=10 * MB, max_texture_px=4096),
    "mobile": Profile("mobile", "Mobile (≤ 3 MB)", max_bytes=3 * MB, max_texture_px=2048, jpeg_quality=82,
                      poster_px=768),
}


def get_profile(name: str) -> Profile:
    """The named profile; raises :class:`PublishError` naming the choices."""
    try:
        return PROFILES[name]
    except KeyError:
        raise PublishError(f"unknown export profile {name!r}; choose one of {', '.join(PROFILES)}") from None


UNITS_TO_METRES: dict[str, float] = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254}
