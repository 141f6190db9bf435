"""Which way is up: glTF's frame is Y-up, and a scan records which of its own axes points up.

One table for the archive (export) and the viewer (display), which may not import each other.
``UP_AXES`` names the file axis that points up; :func:`to_y_up` is the rotation that turns it
to +Y (a proper rotation: no mirror, so a scan is never turned inside out).
"""

from __future__ import annotations

import numpy as np

#: the recorded values, glTF's own first; "z" is most scanners' and CAD's.
UP_AXES: tuple[str, ...] = ("y", "z", "x", "-y", "-z", "-x")

_TO_Y_UP = {
    "y": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "z": ((1, 0, 0), (0, 0, 1), (0, -1, 0)),  # (x, y, z) -> (x, z, -y)
    "x": ((0, -1, 0), (1, 0, 0), (0, 0, 1)),  # (x, y, z) -> (-y, x, z)
    "-y": ((1, 0, 0), (0, -1, 0), (0, 0, -1)),  # turned over about X
    "-z": ((1, 0, 0), (0, 0, -1), (0, 1, 0)),  # (x, y, z) -> (x, -z, y)
    "-x": ((0, 1, 0), (-1, 0, 0), (0, 0, 1)),  # (x, y, z) -> (y, -x, z)
}


def normalise_up_axis(up_axis: str | None) -> str:
    """A value of ``UP_AXES`` from a recorded one ("+Z", " z ", None or "" meaning glTF's "y")."""
    value = (up_axis or "y").strip().lower().lstrip("+")
    if value not in _TO_Y_UP:
        raise ValueError(f"unknown up axis {up_axis!r}; choose from {', '.join(UP_AXES)}")
    return value


def to_y_up(up_axis: str | None) -> np.ndarray:
    """(3, 3) rotation taking the file's ``up_axis`` to +Y (apply as ``points @ R.T``)."""
    return np.array(_TO_Y_UP[normalise_up_axis(up_axis)], dtype=np.float64)


__all__ = ["UP_AXES", "normalise_up_axis", "to_y_up"]
