"""3D viewing for the heritage archive: loading, rendering, camera, picking, measuring.

No Qt, no SQL: it takes paths, arrays and settings and returns geometry, frames, picks and
measurements. The Qt widget lives in ``heritage_app.viewer_widget``.

The public names are imported when first used (PEP 562), so that ``from viewer import
ViewerSession`` does not also import the file readers (trimesh, SciPy), the isolated loader and
the thumbnail code: they cost seconds before a first picture that does not need them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .open3d_import import defer_plotly_viewer

defer_plotly_viewer()  # before any viewer module imports Open3D

if TYPE_CHECKING:
    from .camera import STANDARD_VIEWS, Camera
    from .errors import (
        Cancelled,
        CorruptFile,
        EmptyGeometry,
        FileMissing,
        LoadTimeout,
        RenderTimeout,
        RenderUnavailable,
        ResourceLimit,
        UnsupportedFormat,
        ViewerError,
    )
    from .isolated import load_model_isolated
    from .loading import SUPPORTED_EXTENSIONS, load_model
    from .measure import Landmarks, Measurement, bbox_dimensions, convert, distance, polyline_length
    from .model import Model
    from .picking import Pick, Picker
    from .progress import CancelToken
    from .service import RenderService, default_service
    from .session import ViewerSession
    from .settings import DISPLAY_MODES, LIGHT_PRESETS, Settings
    from .thumbnail import render_image, render_poster, render_thumbnail, save_snapshot

_HOMES = {
    "camera": ("STANDARD_VIEWS", "Camera"),
    "errors": ("Cancelled", "CorruptFile", "EmptyGeometry", "FileMissing", "LoadTimeout", "RenderTimeout",
               "RenderUnavailable", "ResourceLimit", "UnsupportedFormat", "ViewerError"),
    "isolated": ("load_model_isolated",),
    "loading": ("SUPPORTED_EXTENSIONS", "load_model"),
    "measure": ("Landmarks", "Measurement", "bbox_dimensions", "convert", "distance", "polyline_length"),
    "model": ("Model",),
    "picking": ("Pick", "Picker"),
    "progress": ("CancelToken",),
    "service": ("RenderService", "default_service"),
    "session": ("ViewerSession",),
    "settings": ("DISPLAY_MODES", "LIGHT_PRESETS", "Settings"),
    "thumbnail": ("render_image", "render_poster", "render_thumbnail", "save_snapshot"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "STANDARD_VIEWS", "Camera", "Cancelled", "CorruptFile", "EmptyGeometry", "FileMissing",
    "LoadTimeout", "RenderTimeout", "RenderUnavailable", "ResourceLimit", "UnsupportedFormat",
    "ViewerError", "SUPPORTED_EXTENSIONS", "load_model", "load_model_isolated", "Landmarks",
    "Measurement", "bbox_dimensions", "convert", "distance", "polyline_length", "Model", "Pick",
    "Picker", "CancelToken",
    "RenderService", "default_service", "ViewerSession", "DISPLAY_MODES", "LIGHT_PRESETS",
    "Settings", "render_image", "render_poster", "render_thumbnail", "save_snapshot",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _ViewerPackage(types.ModuleType):
    """The package's module type: importing the submodule ``viewer.convert`` (trimesh to Open3D)
    sets it as the package's attribute ``convert``, which is the public unit conversion
    ``measure.convert``. Once every name was imported up front, in an order that left the
    function there; now the submodule may come later, so it is kept from replacing it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "convert" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ViewerPackage
