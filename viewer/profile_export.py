"""Section profiles as drawings in real units: SVG (mm) and DXF (R12, millimetres).

The profile is a list of (p, 2) polylines in the section plane's (right, up) coordinates
(:func:`viewer.section.section_profile`), in model units; both writers convert to
millimetres. SVG's y axis points down, so y is flipped; DXF keeps y up. The DXF is plain
R12 ASCII (HEADER with $INSUNITS = 4 for millimetres, POLYLINE/VERTEX/SEQEND entities) that
every CAD program reads; no extra package is needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ViewerError
from .measure import convert


class EmptyProfile(ViewerError):
    """The section plane does not cut the model: there is no profile to draw."""


def _to_mm(loops: list[np.ndarray], units: str | None) -> list[np.ndarray]:
    if not loops:
        raise EmptyProfile("The section plane does not cut the model here; move it to cross the model.")
    f = convert(1.0, units, "mm") if units else 1.0
    return [np.asarray(lp, float) * f for lp in loops]


def _closed(lp: np.ndarray) -> bool:
    return len(lp) > 3 and bool(np.allclose(lp[0], lp[-1]))


def profile_svg(loops: list[np.ndarray], units: str | None, margin_mm: float = 5.0, stroke_mm: float = 0.25) -> str:
    """SVG text drawing the profile at 1:1 (1 user unit = 1 mm; width/height in mm).

    Closed loops are filled with the even-odd rule (the cut material hatched in grey), so a
    printed profile reads like a conservator's drawing."""
    mm = _to_mm(loops, units)
    allp = np.concatenate(mm)
    lo, hi = allp.min(axis=0) - margin_mm, allp.max(axis=0) + margin_mm
    w, h = hi - lo

    def path(lp: np.ndarray) -> str:
        xy = [(x - lo[0], hi[1] - y) for x, y in (lp[:-1] if _closed(lp) else lp)]
        d = "M " + " L ".join(f"{x:.4f},{y:.4f}" for x, y in xy)
        return d + (" Z" if _closed(lp) else "")

    closed = " ".join(path(lp) for lp in mm if _closed(lp))
    open_ = "".join(f'<path d="{path(lp)}" fill="none"/>' for lp in mm if not _closed(lp))
    body = f'<path d="{closed}" fill="#d9d9d9" fill-rule="evenodd"/>' if closed else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.4f}mm" height="{h:.4f}mm" '
            f'viewBox="0 0 {w:.4f} {h:.4f}">\n'
            f'<title>Section profile (1 unit = 1 mm)</title>\n'
            f'<g stroke="#000" stroke-width="{stroke_mm}" stroke-linejoin="round">{body}{open_}</g>\n</svg>\n')


def profile_dxf(loops: list[np.ndarray], units: str | None, layer: str = "PROFILE") -> str:
    """R12 DXF text: one 2D POLYLINE per loop (flag 1 when closed), coordinates in mm."""
    mm = _to_mm(loops, units)
    allp = np.concatenate(mm)
    out = ["0", "SECTION", "2", "HEADER", "9", "$ACADVER", "1", "AC1009", "9", "$INSUNITS", "70", "4",
           "9", "$EXTMIN", "10", f"{allp[:, 0].min():.6f}", "20", f"{allp[:, 1].min():.6f}",
           "9", "$EXTMAX", "10", f"{allp[:, 0].max():.6f}", "20", f"{allp[:, 1].max():.6f}",
           "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES"]
    for lp in mm:
        closed = _closed(lp)
        out += ["0", "POLYLINE", "8", layer, "66", "1", "10", "0.0", "20", "0.0", "30", "0.0",
                "70", "1" if closed else "0"]
        for x, y in (lp[:-1] if closed else lp):
            out += ["0", "VERTEX", "8", layer, "10", f"{x:.6f}", "20", f"{y:.6f}", "30", "0.0"]
        out += ["0", "SEQEND", "8", layer]
    out += ["0", "ENDSEC", "0", "EOF"]
    return "\n".join(out) + "\n"


def read_dxf_polylines(text: str) -> list[tuple[np.ndarray, bool]]:
    """Parse the POLYLINE/VERTEX entities of an ASCII DXF: [((p, 2) points, closed), ...].

    Enough to check what :func:`profile_dxf` wrote (and other R12 profiles)."""
    lines = [s.strip() for s in text.splitlines()]
    pairs = list(zip(lines[0::2], lines[1::2], strict=False))
    result: list[tuple[np.ndarray, bool]] = []
    current: list[list[float]] | None = None
    closed = False
    vertex: list[float] | None = None
    in_poly = False
    for code, value in pairs:
        if code == "0":
            if vertex is not None and current is not None:
                current.append(vertex)
            vertex = None
            if value == "POLYLINE":
                current, closed, in_poly = [], False, True
            elif value == "VERTEX" and current is not None:
                vertex, in_poly = [0.0, 0.0], False
            elif value == "SEQEND" and current is not None:
                result.append((np.asarray(current, float).reshape(-1, 2), closed))
                current = None
        elif code == "70" and in_poly and current is not None:
            closed = bool(int(value) & 1)
        elif vertex is not None and code in ("10", "20"):
            vertex[0 if code == "10" else 1] = float(value)
    return result


def export_profile(loops: list[np.ndarray], units: str | None, path: str | Path) -> Path:
    """Write the profile as SVG or DXF, chosen by the file extension."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".svg":
        p.write_text(profile_svg(loops, units), encoding="utf-8")
    elif ext == ".dxf":
        p.write_text(profile_dxf(loops, units), encoding="ascii")
    else:
        raise ValueError(f"Profiles are saved as .svg or .dxf, not {ext or 'a file without extension'}.")
    return p
