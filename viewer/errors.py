"""Typed errors of the viewer.

Every message is written for a museum worker: it names the file and says what is wrong and,
where possible, what to do. The app shows ``str(error)`` as is.
"""

from __future__ import annotations


class ViewerError(Exception):
    """Base of every error the viewer raises on purpose."""


class UnsupportedFormat(ViewerError):
    """The file is not a 3D format the viewer can show."""


class CorruptFile(ViewerError):
    """The file claims to be a known format but could not be read."""


class EmptyGeometry(CorruptFile):
    """The file was read but holds no usable geometry (no faces, no points, all NaN)."""


class RenderUnavailable(ViewerError):
    """No rendering backend could be started (no OpenGL context, no Filament)."""


class RenderTimeout(ViewerError):
    """Rendering in a worker process took longer than allowed and was stopped."""


class ResourceLimit(ViewerError):
    """Reading a file needed more memory or time than the isolated reader may use; it was
    stopped and nothing was kept."""


class LoadTimeout(ResourceLimit):
    """Reading a file in the isolated reader took longer than allowed and was stopped."""


class Cancelled(ViewerError):
    """The user cancelled a long operation; nothing was kept."""


class FileMissing(ViewerError):
    """The file does not exist or cannot be opened."""
