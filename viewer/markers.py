"""Markers, lines and labels over the 3D view, and saved camera views to fly to.

Markers are drawn as a 2D overlay after the frame is rendered: the records' 3D points are
projected with the frame's camera (one numpy call for all of them), so dots and labels keep
their screen size at any zoom and cost nothing in the 3D scene. Labels sit on a dark plate
with a light rim: readable on white, black and busy textures alike. The Qt widget paints the
same :class:`Overlay` with QPainter; :func:`draw_overlay` paints it with Pillow (snapshots,
reports, tests).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .camera import Camera

Colour = tuple[int, int, int]
COLOURS: dict[str, Colour] = {"measurement": (255, 199, 26), "landmark": (51, 191, 255),
                              "annotation": (255, 110, 160)}
DOT_RADIUS_PX = 4
PLATE = (24, 26, 30)
RIM = (235, 235, 235)


@dataclass
class MarkerRecord:
    """One thing to show: a landmark (one point), a measurement (a polyline) or an annotation.

    ``points`` are (k, 3) display (geometry) coordinates; ``label`` is drawn beside the last
    point (a measurement's label beside the middle of its path)."""

    kind: str
    label: str
    points: np.ndarray
    colour: Colour | None = None


@dataclass
class Overlay:
    """Screen-space drawing list for one frame (all in pixels, origin top-left).

    Attributes
    ----------
    dots
        (n, 2) float centres and (n, 3) uint8 colours.
    lines
        list of ((p, 2) polyline, colour).
    labels
        list of ((2,) anchor, text, colour).
    """

    dots: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    dot_colours: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    lines: list[tuple[np.ndarray, Colour]] = field(default_factory=list)
    labels: list[tuple[np.ndarray, str, Colour]] = field(default_factory=list)


@dataclass
class PreparedMarkers:
    """Records flattened once (when they change), so a frame only projects and lists."""

    records: list[MarkerRecord]
    points: np.ndarray  # (n, 3) every record's points, record after record
    counts: np.ndarray  # (r,) points per record
    first: np.ndarray  # (r,) index of each record's first point
    anchor: np.ndarray  # (r,) index of the point each label sits beside
    owner: np.ndarray  # (n,) record of each point
    colours: np.ndarray  # (r, 3) uint8
    colour_tuples: list[Colour]
    line_records: np.ndarray  # records with more than one point
    label_records: np.ndarray  # records with a label and points
    label_widths: np.ndarray | None = None  # (r,) rough plate widths in pixels (for moving clashing labels)


def prepare(records: Sequence[MarkerRecord]) -> PreparedMarkers:
    """Flatten ``records`` for :func:`layout` (call again only when they change)."""
    recs = list(records)
    n = np.array([len(r.points) for r in recs], dtype=np.int64)
    pts = (np.concatenate([np.asarray(r.points, float).reshape(-1, 3) for r in recs])
           if recs else np.zeros((0, 3)))
    first = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64) if recs else n
    measuring = np.array([r.kind == "measurement" for r in recs], dtype=bool)
    anchor = np.where(measuring, first + n // 2, first + n - 1)
    colours = np.array([r.colour or COLOURS.get(r.kind, (255, 255, 255)) for r in recs], np.uint8).reshape(-1, 3)
    labelled = np.array([bool(r.label) for r in recs], dtype=bool)
    return PreparedMarkers(recs, pts, n, first, anchor, np.repeat(np.arange(len(recs)), n), colours,
                           [tuple(c) for c in colours.tolist()],  # type: ignore[misc]
                           np.flatnonzero(n > 1), np.flatnonzero(labelled & (n > 0)),
                           np.array([LABEL_CHAR_PX * len(r.label) + 16 for r in recs], float))


def layout(records: Sequence[MarkerRecord] | PreparedMarkers, camera: Camera, width: int, height: int,
           hidden: Callable[[np.ndarray], np.ndarray] | None = None) -> Overlay:
    """Project every record's points once and list what to draw.

    ``hidden`` takes (n, 3) points and returns (n,) bool for points behind the surface (e.g.
    :meth:`viewer.picking.Picker.hidden`); hidden points and points behind the camera get no
    dot or label, and lines are drawn only between shown points."""
    p = records if isinstance(records, PreparedMarkers) else prepare(records)
    if len(p.points) == 0:
        return Overlay()
    pts = p.points
    px = camera.project(pts, width, height)
    shown = (pts - camera.eye) @ camera.front > 0
    shown &= (px[:, 0] > -50) & (px[:, 0] < width + 50) & (px[:, 1] > -50) & (px[:, 1] < height + 50)
    if hidden is not None and shown.any():
        shown[shown] &= ~hidden(pts[shown])
    out = Overlay(px[shown], p.colours[p.owner[shown]])
    not_shown = np.concatenate([[0], np.cumsum(~shown)])
    lr = p.line_records
    missing_points = not_shown[p.first[lr] + p.counts[lr]] - not_shown[p.first[lr]]
    for i, missing in zip(lr.tolist(), missing_points.tolist(), strict=True):
        if not missing:
            out.lines.append((px[p.first[i]:p.first[i] + p.counts[i]], p.colour_tuples[i]))
    labelled = p.label_records[shown[p.anchor[p.label_records]]]
    at = px[p.anchor[labelled]]
    widths = p.label_widths[labelled] if p.label_widths is not None else np.full(len(labelled), 80.0)
    # A plate that would run off the right edge goes on the point's left (both painters draw a plate
    # from 8 px right of its anchor): the value stays whole on screen.
    flip = at[:, 0] + LABEL_GAP_PX + widths > width
    at[flip, 0] -= widths[flip] + 2 * LABEL_GAP_PX
    at[:, 1] = _unclash(at, widths)
    for i, xy in zip(labelled.tolist(), at, strict=True):
        out.labels.append((xy, p.records[i].label, p.colour_tuples[i]))
    return out


LABEL_GAP_PX = 8  # from a label's point to its plate (draw_overlay, heritage_app.marker_painting)
LABEL_ROW_PX = 20  # a label plate's height on screen, with a pixel to spare (both painters)
LABEL_CHAR_PX = 7  # a generous average character width of the plates' fonts
MAX_SHIFT_ROWS = 3  # a label moves at most this many rows from its point
MAX_MOVED = 64  # more clashing labels than this are a crowd, left as they are (and the frame cheap)


def _unclash(at: np.ndarray, width: np.ndarray) -> np.ndarray:
    """(k,) label heights on screen for labels anchored at (k, 2) ``at`` whose plates are about
    ``width`` pixels wide: a label that would cover another moves down a row at a time (records on
    one point, a landmark at a measurement's end), at most ``MAX_SHIFT_ROWS``: in a crowd it stays
    by its point. One vectorised test finds the labels that clash; only those are placed one by
    one (about 3 µs each), and only up to ``MAX_MOVED`` of them."""
    y = at[:, 1].copy()
    if len(y) < 2:
        return y
    x0 = at[:, 0]
    x1 = x0 + width
    clash = (np.abs(y[:, None] - y[None, :]) < LABEL_ROW_PX) & (x0[:, None] < x1[None, :]) & (x0[None, :] < x1[:, None])
    np.fill_diagonal(clash, False)
    involved = np.flatnonzero(clash.any(axis=1))
    if len(involved) > MAX_MOVED:
        return y  # a crowd (most labels on top of others): moving a few rows would not make it readable
    placed: list[tuple[float, float, float]] = []  # (top, x0, x1), kept sorted by top
    limit = MAX_SHIFT_ROWS * LABEL_ROW_PX
    for i in involved[np.argsort(y[involved], kind="stable")].tolist():
        top = start = float(y[i])
        a, b = float(x0[i]), float(x1[i])
        j = bisect_left(placed, (top - LABEL_ROW_PX,))
        while j < len(placed):
            py, px0, px1 = placed[j]
            if py >= top + LABEL_ROW_PX:
                break  # sorted by top: nothing further down reaches this one
            if a < px1 and px0 < b:
                top = py + LABEL_ROW_PX
                if top > start + limit:
                    top = start
                    break
            j += 1
        insort(placed, (top, a, b))
        y[i] = top
    return y


_FONT: ImageFont.ImageFont | ImageFont.FreeTypeFont | None = None


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    global _FONT
    if _FONT is None:
        _FONT = ImageFont.load_default()
    return _FONT


def _disc_mask(radius: float) -> Image.Image:
    g = np.arange(-DOT_RADIUS_PX, DOT_RADIUS_PX + 1)
    xx, yy = np.meshgrid(g, g)
    return Image.fromarray(((np.hypot(xx, yy) <= radius) * 255).astype(np.uint8), "L")


_RIM_MASK = _disc_mask(DOT_RADIUS_PX + 0.3)
_DISC_MASK = _disc_mask(DOT_RADIUS_PX - 1.0)


@lru_cache(maxsize=64)
def _dot_sprite(colour: tuple[int, ...]) -> Image.Image:
    size = 2 * DOT_RADIUS_PX + 1
    dot = Image.new("RGB", (size, size), (0, 0, 0))
    dot.paste(colour, (0, 0, size, size), _DISC_MASK)
    dot.load()
    return dot


@lru_cache(maxsize=2048)
def _label_sprite(text: str, colour: Colour) -> tuple[Image.Image, int, int]:
    """The label on its plate, rendered once: text rendering costs ~0.2 ms, a paste ~5 µs."""
    font = _font()
    left, top, right, bottom = font.getbbox(text)
    w, h = int(right - left) + 9, int(bottom - top) + 7
    img = Image.new("RGB", (w, h), PLATE)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w - 1, h - 1), outline=RIM)
    d.rectangle((0, 0, 2, h - 1), fill=colour)  # the record's colour
    d.text((5 - left, 3 - top), text, fill=(255, 255, 255), font=font)
    img.load()
    return img, w, h


def draw_overlay(image: Image.Image, overlay: Overlay) -> Image.Image:
    """Paint ``overlay`` onto an RGB Pillow image in place (and return it)."""
    d = ImageDraw.Draw(image)
    for line, colour in overlay.lines:
        flat = [tuple(p) for p in line.tolist()]
        d.line(flat, fill=(0, 0, 0), width=4)  # dark halo under the colour: visible on light and dark
        d.line(flat, fill=colour, width=2)
    r = DOT_RADIUS_PX
    core, width, height = image.im, image.width, image.height
    if len(overlay.dots):
        # Dots: a ready disc (colour with a black rim) stamped through a round mask, one core call each.
        size = 2 * r + 1
        for (x, y), colour in zip(np.rint(overlay.dots).astype(int).tolist(), overlay.dot_colours.tolist(),
                                  strict=True):
            x0, y0 = x - r, y - r
            if 0 <= x0 and x0 + size <= width and 0 <= y0 and y0 + size <= height:
                core.paste(_dot_sprite(tuple(colour)).im, (x0, y0, x0 + size, y0 + size), _RIM_MASK.im)
    for (x, y), text, colour in overlay.labels:
        sprite, w, h = _label_sprite(text, colour)
        x0, y0 = int(x) + r + 4, int(y) - h // 2
        if 0 <= x0 and x0 + w <= width and 0 <= y0 and y0 + h <= height:
            core.paste(sprite.im, (x0, y0, x0 + w, y0 + h))  # the core call: no per-call checks
        else:
            image.paste(sprite, (x0, y0))  # clipped at the frame's edge
    return image


# -- saved views -------------------------------------------------------------------------------
def camera_to_view(camera: Camera) -> dict[str, list[float] | float]:
    """A camera as a plain dict (eye, target, up, fov in degrees) to save with a record."""
    return {"eye": camera.eye.tolist(), "target": camera.target.tolist(), "up": camera.up.tolist(),
            "fov": float(camera.fov_deg)}


def apply_view(camera: Camera, view: dict[str, list[float] | float]) -> None:
    """Point ``camera`` as the saved ``view`` says (extent and projection are kept)."""
    eye = np.asarray(view["eye"], float)
    target = np.asarray(view["target"], float)
    front = target - eye
    dist = float(np.linalg.norm(front))
    if dist == 0:
        raise ValueError("a saved view needs its eye and target apart")
    front /= dist
    up = np.asarray(view["up"], float)
    up = up - (up @ front) * front
    if np.linalg.norm(up) < 1e-9:
        raise ValueError("a saved view's up must not point along its line of sight")
    camera.target, camera.front, camera.up = target, front, up / np.linalg.norm(up)
    camera.fov_deg = float(view.get("fov", camera.fov_deg))  # type: ignore[arg-type]
    camera.distance = dist


def view_to_file(view: dict[str, list[float] | float], to_file: Callable[[np.ndarray], np.ndarray],
                 rotation: np.ndarray) -> dict[str, list[float] | float]:
    """A view in the viewer's display frame -> the file's own frame, as records keep it.

    ``to_file`` maps a (3,) display point to the file's frame (:meth:`viewer.model.Model.to_file`:
    turn and load offset undone); ``rotation`` is the model's (3, 3) file-to-display turn, which
    alone applies to the up direction."""
    return {"eye": np.asarray(to_file(np.asarray(view["eye"], float)), float).tolist(),
            "target": np.asarray(to_file(np.asarray(view["target"], float)), float).tolist(),
            "up": (np.asarray(rotation, float).T @ np.asarray(view["up"], float)).tolist(), "fov": float(view["fov"])}  # type: ignore[arg-type]


def view_from_file(view: dict[str, list[float] | float], from_file: Callable[[np.ndarray], np.ndarray],
                   rotation: np.ndarray) -> dict[str, list[float] | float]:
    """The inverse of :func:`view_to_file`: a saved view in the file's frame -> display frame."""
    return {"eye": np.asarray(from_file(np.asarray(view["eye"], float)), float).tolist(),
            "target": np.asarray(from_file(np.asarray(view["target"], float)), float).tolist(),
            "up": (np.asarray(rotation, float) @ np.asarray(view["up"], float)).tolist(),
            "fov": float(view.get("fov", 30.0))}  # type: ignore[arg-type]


def framing_view(camera: Camera, points: np.ndarray, min_size: float) -> dict[str, list[float] | float]:
    """A view of (n, 3) ``points`` from the camera's current direction: centred on their box,
    near enough that the box (at least ``min_size`` across, so a single point shows its
    surroundings) fills about half the picture's height."""
    pts = np.asarray(points, float).reshape(-1, 3)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    size = max(float(np.max(hi - lo)), float(min_size), 1e-9)
    distance = size / np.tan(np.radians(camera.fov_deg) / 2)
    target = (lo + hi) / 2.0
    return {"eye": (target - camera.front * distance).tolist(), "target": target.tolist(),
            "up": camera.up.tolist(), "fov": float(camera.fov_deg)}


def interpolate_views(a: dict[str, list[float] | float], b: dict[str, list[float] | float],
                      t: float) -> dict[str, list[float] | float]:
    """The view a fraction ``t`` (0..1, eased) of the way from ``a`` to ``b``: target and
    distance move linearly, the viewing direction and up turn along the great circle."""
    s = t * t * (3 - 2 * t)
    ta, tb = np.asarray(a["target"], float), np.asarray(b["target"], float)
    da, db = np.asarray(a["eye"], float) - ta, np.asarray(b["eye"], float) - tb
    la, lb = np.linalg.norm(da), np.linalg.norm(db)
    direction = _slerp(da / la, db / lb, s)
    up = _slerp(np.asarray(a["up"], float), np.asarray(b["up"], float), s)
    target = ta + (tb - ta) * s
    fov = float(a["fov"]) + (float(b["fov"]) - float(a["fov"])) * s  # type: ignore[arg-type]
    return {"eye": (target + direction * (la + (lb - la) * s)).tolist(), "target": target.tolist(),
            "up": up.tolist(), "fov": fov}


def _slerp(u: np.ndarray, v: np.ndarray, s: float) -> np.ndarray:
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    angle = float(np.arccos(np.clip(u @ v, -1.0, 1.0)))
    if angle < 1e-6:
        return u
    if np.pi - angle < 1e-6:  # opposite: turn about any perpendicular
        axis = np.cross(u, [1.0, 0, 0]) if abs(u[0]) < 0.9 else np.cross(u, [0, 1.0, 0])
        v = np.cross(axis / np.linalg.norm(axis), u)
        angle = np.pi
        return u * np.cos(angle * s) + v * np.sin(angle * s)
    return (np.sin((1 - s) * angle) * u + np.sin(s * angle) * v) / np.sin(angle)
