"""3D viewing for the heritage archive: loading, rendering, camera, picking, measuring.

No Qt, no SQL: it takes paths, arrays and settings and returns geometry, frames, picks and
measurements. The Qt widget lives in ``heritage_app.viewer_widget``.
"""

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

__all__ = [
    "STANDARD_VIEWS", "Camera", "Cancelled", "CorruptFile", "EmptyGeometry", "FileMissing",
    "LoadTimeout", "RenderTimeout", "RenderUnavailable", "ResourceLimit", "UnsupportedFormat",
    "ViewerError", "SUPPORTED_EXTENSIONS", "load_model", "load_model_isolated", "Landmarks",
    "Measurement", "bbox_dimensions", "convert", "distance", "polyline_length", "Model", "Pick",
    "Picker", "CancelToken",
    "RenderService", "default_service", "ViewerSession", "DISPLAY_MODES", "LIGHT_PRESETS",
    "Settings", "render_image", "render_poster", "render_thumbnail", "save_snapshot",
]
