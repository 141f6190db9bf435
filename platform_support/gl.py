"""Open3D needs the system's OpenGL libraries; name them when they are missing."""

from __future__ import annotations

import re
import sys
from types import ModuleType

#: Debian/Ubuntu packages that provide the libraries Open3D's wheel links against.
LINUX_PACKAGES = {"libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libgomp.so.1": "libgomp1",
                  "libX11.so.6": "libx11-6", "libOSMesa.so": "libosmesa6"}


class Open3DUnavailable(ImportError):
    """Open3D (the 3D reader and renderer) could not be loaded; the message says why."""


def open3d_error_message(error: BaseException) -> str:
    """One line a user can act on for an ImportError/OSError raised by ``import open3d``."""
    text = str(error)
    missing = re.search(r"(lib[\w.+-]+\.so[\w.]*)", text)
    if missing and sys.platform.startswith("linux"):
        lib = missing.group(1)
        package = next((p for name, p in LINUX_PACKAGES.items() if lib.startswith(name.split(".so")[0] + ".so")),
                       None)
        hint = f" (on Debian/Ubuntu: sudo apt-get install {package})" if package else ""
        return (f"3D viewing and export need the system library {lib}, which is not installed{hint}; "
                "the catalogue itself works without it")
    first = text.splitlines()[0] if text else repr(error)
    return f"3D viewing and export are unavailable: Open3D could not be loaded ({first})"


def open3d_failed_to_load(exc: BaseException) -> bool:
    """Whether an error is Open3D (or a system library it links against) failing to load: the 3D
    commands import it when they first need it, so this can surface from deep inside any of them."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Open3DUnavailable) or re.search(r"open3d|lib[\w.+-]+\.so|\.dll\b|\.dylib\b", str(seen)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def import_open3d() -> ModuleType:
    """``import open3d``, or :class:`Open3DUnavailable` with :func:`open3d_error_message`."""
    try:
        import open3d
    except (ImportError, OSError) as exc:
        raise Open3DUnavailable(open3d_error_message(exc)) from exc
    return open3d
