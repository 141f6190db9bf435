"""Reading a rendered frame back as bytes, straight from OpenGL.

Open3D's ``capture_screen_float_buffer`` makes a fresh framebuffer object and colour texture
for every capture, reads it back as 32-bit floats and flips it row by row; the caller then
turns 12 bytes per pixel back into 3. With software GL (Mesa llvmpipe, a museum PC without a
graphics driver) that costs ~20 ms of a 1280x800 frame before any geometry is drawn. Here the
frame is drawn into a framebuffer object kept per view and read as 8-bit RGB with one
``glReadPixels`` call (same picture to the last bit of rounding). RGB, not RGBA: dropping a
fourth byte per pixel afterwards is a strided copy that costs as much as the read (~15 ms),
while flipping whole rows is free (a view; copying it later is one memcpy per row).

Open3D's window cannot be read instead: after its buffer swap OpenGL leaves the window's
contents undefined (a hidden GLX window reads back black, EGL's keeps the picture). And
since a driver may still surprise, :class:`~viewer.render_legacy.LegacyRenderer` compares
this path with Open3D's own capture on the first frame of each view and keeps the slow one
where they disagree. The GL library is the system's: GLVND's ``libOpenGL`` (or ``libGL``) on Linux,
``opengl32.dll`` on Windows, the OpenGL framework on macOS; it dispatches to whichever
context is current on the calling thread (Open3D's, on the render thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Any

import numpy as np

_GL_RGB = 0x1907
_GL_UNSIGNED_BYTE = 0x1401
_GL_PACK_ALIGNMENT = 0x0D05
_GL_NO_ERROR = 0
_GL_FRAMEBUFFER = 0x8D40
_GL_RENDERBUFFER = 0x8D41
_GL_RGBA8 = 0x8058
_GL_DEPTH24_STENCIL8 = 0x88F0
_GL_COLOR_ATTACHMENT0 = 0x8CE0
_GL_DEPTH_STENCIL_ATTACHMENT = 0x821A
_GL_FRAMEBUFFER_COMPLETE = 0x8CD5

#: a pixel channel may differ by this much between the two read-backs (float vs byte rounding,
#: multisampling resolved by a different path)
CHANNEL_TOLERANCE = 8
#: share of pixels allowed past the tolerance (anti-aliased edges); a stale or undefined
#: buffer differs nearly everywhere
PIXEL_SHARE = 0.02


def _library_names() -> list[str]:
    if sys.platform == "win32":
        return ["opengl32"]
    if sys.platform == "darwin":
        return ["/System/Library/Frameworks/OpenGL.framework/OpenGL"]
    return [n for n in (ctypes.util.find_library("OpenGL"), "libOpenGL.so.0", ctypes.util.find_library("GL"),
                        "libGL.so.1") if n]


_U, _I, _P = ctypes.c_uint, ctypes.c_int, ctypes.c_void_p
#: name -> (result, arguments); GL 1.1 ones are exported by every GL library, the framebuffer
#: ones (GL 3.0) by libOpenGL and macOS's framework, and through wglGetProcAddress on Windows
_FUNCTIONS: dict[str, tuple[Any, list[Any]]] = {
    "glReadPixels": (None, [_I, _I, _I, _I, _U, _U, _P]),
    "glPixelStorei": (None, [_U, _I]),
    "glGetError": (_U, []),
    "glGenFramebuffers": (None, [_I, _P]),
    "glDeleteFramebuffers": (None, [_I, _P]),
    "glBindFramebuffer": (None, [_U, _U]),
    "glGenRenderbuffers": (None, [_I, _P]),
    "glBindRenderbuffer": (None, [_U, _U]),
    "glRenderbufferStorage": (None, [_U, _U, _I, _I]),
    "glFramebufferRenderbuffer": (None, [_U, _U, _U, _U]),
    "glCheckFramebufferStatus": (_U, [_U]),
}


class _GL:
    """The functions above, bound; framebuffer functions are looked up on first call, when a
    context is current (Windows hands out their addresses only then)."""

    def __init__(self, lib: Any) -> None:
        self._lib = lib
        for name in ("glReadPixels", "glPixelStorei", "glGetError"):
            setattr(self, name, self._bind(name))

    def _bind(self, name: str) -> Any:
        restype, argtypes = _FUNCTIONS[name]
        if hasattr(self._lib, name):
            fn = getattr(self._lib, name)
            fn.restype, fn.argtypes = restype, argtypes
            return fn
        get = getattr(self._lib, "wglGetProcAddress", None)
        if get is not None:
            get.restype, get.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
        address = get(name.encode()) if get is not None else None
        if not address:
            raise AttributeError(name)
        return ctypes.WINFUNCTYPE(restype, *argtypes)(address)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name not in _FUNCTIONS:
            raise AttributeError(name)
        fn = self._bind(name)
        setattr(self, name, fn)
        return fn


def _load() -> Any | None:
    loader = getattr(ctypes, "WinDLL", ctypes.CDLL)  # opengl32's functions are stdcall
    for name in _library_names():
        try:
            return _GL(loader(name))
        except (OSError, AttributeError):
            continue
    return None


class ByteReadback:
    """Frames drawn into a framebuffer object of our own and read back as bytes.

    Per view (one Open3D window, one GL context): :meth:`begin` makes (or re-uses) a
    framebuffer of the view's size and binds it, so Open3D's next draw lands there rather than
    in its window, whose contents after the buffer swap OpenGL leaves undefined (a hidden GLX
    window reads back black); :meth:`finish` reads it and binds the window's framebuffer again.
    Call both on the thread whose context is current.
    """

    def __init__(self, gl: Any | None = None) -> None:
        self._gl = gl if gl is not None else _load()
        self._targets: dict[Any, int] = {}  # view -> its framebuffer

    @property
    def available(self) -> bool:
        return self._gl is not None

    def begin(self, view: Any, width: int, height: int) -> bool:
        """Bind ``view``'s framebuffer (made on first use at this size: a view keeps its size for
        life, the renderer makes a new one, with a new context, for another size); False when
        GL cannot."""
        gl = self._gl
        if gl is None:
            return False
        try:
            _clear_errors(gl)
            if view not in self._targets:
                self._targets[view] = _make_framebuffer(gl, width, height)
            gl.glBindFramebuffer(_GL_FRAMEBUFFER, self._targets[view])
            return bool(gl.glGetError() == _GL_NO_ERROR)
        except (OSError, AttributeError, RuntimeError):
            return False

    def finish(self, width: int, height: int) -> np.ndarray | None:
        """The bound framebuffer as a (h, w, 3) uint8 array, top row first (a row-flipped view
        of a fresh buffer: frames go to another thread, so none is reused); None on a GL error.
        The window's framebuffer is bound again either way."""
        gl = self._gl
        assert gl is not None, "finish() follows a begin() that returned True"
        buffer = np.empty((height, width, 3), dtype=np.uint8)
        gl.glPixelStorei(_GL_PACK_ALIGNMENT, 1)  # rows of 3 * width bytes, no padding (Open3D's own setting)
        gl.glReadPixels(0, 0, width, height, _GL_RGB, _GL_UNSIGNED_BYTE, buffer.ctypes.data)
        failed = gl.glGetError() != _GL_NO_ERROR
        gl.glBindFramebuffer(_GL_FRAMEBUFFER, 0)
        return None if failed else buffer[::-1]  # GL's rows start at the bottom

    def forget(self, view: Any) -> None:
        """Forget ``view``'s framebuffer: its window is being destroyed, and the framebuffer with
        its context (deleting it here could hit another view's context, current meanwhile)."""
        self._targets.pop(view, None)


def _clear_errors(gl: Any) -> None:
    for _ in range(16):  # errors left by earlier calls are not ours
        if gl.glGetError() == _GL_NO_ERROR:
            return


def _make_framebuffer(gl: Any, width: int, height: int) -> int:
    """A complete framebuffer: 8-bit RGBA colour and 24-bit depth + stencil renderbuffers (the
    render buffers live as long as the framebuffer's context)."""
    fb, colour, depth = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    gl.glGenFramebuffers(1, ctypes.byref(fb))
    gl.glBindFramebuffer(_GL_FRAMEBUFFER, fb.value)
    for rb, fmt, attachment in ((colour, _GL_RGBA8, _GL_COLOR_ATTACHMENT0),
                                (depth, _GL_DEPTH24_STENCIL8, _GL_DEPTH_STENCIL_ATTACHMENT)):
        gl.glGenRenderbuffers(1, ctypes.byref(rb))
        gl.glBindRenderbuffer(_GL_RENDERBUFFER, rb.value)
        gl.glRenderbufferStorage(_GL_RENDERBUFFER, fmt, width, height)
        gl.glFramebufferRenderbuffer(_GL_FRAMEBUFFER, attachment, _GL_RENDERBUFFER, rb.value)
    gl.glBindRenderbuffer(_GL_RENDERBUFFER, 0)
    complete = gl.glCheckFramebufferStatus(_GL_FRAMEBUFFER) == _GL_FRAMEBUFFER_COMPLETE
    gl.glBindFramebuffer(_GL_FRAMEBUFFER, 0)
    if not complete or gl.glGetError() != _GL_NO_ERROR:
        gl.glDeleteFramebuffers(1, ctypes.byref(fb))
        raise RuntimeError("framebuffer incomplete")
    return int(fb.value)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two read-backs of one frame show the same picture (see the tolerances)."""
    if a.shape != b.shape:
        return False
    off = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > CHANNEL_TOLERANCE
    return float(off.mean()) <= PIXEL_SHARE
