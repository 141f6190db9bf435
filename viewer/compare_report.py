"""Pictures and an HTML report of a scan comparison (no network: every file is local).

``write_report`` makes a folder with ``report.html``, ``heatmap.png`` (the compared scan
coloured by deviation, rendered off screen), ``histogram.png``, ``legend.png`` and
``comparison.json`` (the record with its parameters).
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .compare import Comparison, colour_range, heat_colours, heat_map_geometry
from .model import Model


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _fmt(v: float, units: str | None) -> str:
    return f"{v:.4g} {units or 'units'}"


def histogram_png(comparison: Comparison, width: int = 720, height: int = 300, bins: int = 41) -> bytes:
    """PNG of the deviation histogram: bars coloured like the heat map, dashed lines at ±tolerance.
    Bar heights follow the logarithm of the counts, so a small changed region (a dent, a chip)
    still shows beside the many points that did not change."""
    lim = colour_range(comparison.deviations, comparison.params.tolerance)
    counts, edges = comparison.histogram(bins, lim)
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    left, right, top, bottom = 50, width - 12, 12, height - 36
    d.line([(left, bottom), (right, bottom)], fill="black")
    d.line([(left, top), (left, bottom)], fill="black")
    peak = max(int(counts.max()), 1)
    bw = (right - left) / bins
    centres = (edges[:-1] + edges[1:]) / 2
    for i, (c, colour) in enumerate(zip(counts, heat_colours(centres, lim), strict=True)):
        h = (bottom - top) * np.log1p(c) / np.log1p(peak)
        rgb = tuple(int(x * 255) for x in colour)
        d.rectangle([left + i * bw, bottom - h, left + (i + 1) * bw - 1, bottom], fill=rgb, outline=(90, 90, 90))
    for x in (-comparison.params.tolerance, comparison.params.tolerance):
        if -lim < x < lim:
            px = left + (x + lim) / (2 * lim) * (right - left)
            for y in range(top, bottom, 8):
                d.line([(px, y), (px, min(y + 4, bottom))], fill=(0, 0, 0))
    for value, anchor in ((-lim, "la"), (0.0, "ma"), (lim, "ra")):
        px = left + (value + lim) / (2 * lim) * (right - left)
        d.text((px, bottom + 6), _fmt(value, comparison.units), fill="black", anchor=anchor)
    d.text((4, top), f"{peak:,}", fill="black")
    d.text((right, top), "points (log scale)", fill=(90, 90, 90), anchor="ra")
    return _png(img)


def legend_png(limit: float, units: str | None, width: int = 360, height: int = 46) -> bytes:
    """PNG colour bar from -limit (blue) through 0 (white) to +limit (red), labelled in units."""
    img = Image.new("RGB", (width, height), "white")
    ramp = heat_colours(np.linspace(-limit, limit, width - 20), limit)
    bar = (np.repeat(ramp[None, :, :], 18, axis=0) * 255).astype(np.uint8)
    img.paste(Image.fromarray(bar), (10, 4))
    d = ImageDraw.Draw(img)
    d.rectangle([10, 4, width - 11, 21], outline="black")
    for value, x in ((-limit, 10), (0.0, width // 2 - 10), (limit, width - 70)):
        d.text((x, 26), _fmt(value, units), fill="black")
    return _png(img)


def heat_map_model(comparison: Comparison, compared: Model, frame: Model | None = None) -> Model:
    """A :class:`Model` of the aligned compared scan coloured by deviation (for the viewer).

    ``frame``: the reference as the viewer shows it; the heat map then stands as it does (its
    turn to "up" and load offset), so the two can be looked at from the same side."""
    g = heat_map_geometry(comparison, compared)
    kind = "mesh" if compared.kind == "mesh" and hasattr(g, "triangles") else "points"
    if frame is None:
        return Model(g, kind, units=comparison.units)  # type: ignore[arg-type]
    g.translate(-np.asarray(frame.origin, dtype=float))
    g.rotate(np.asarray(frame.rotation, dtype=float), center=np.zeros(3))
    return Model(g, kind, path=compared.path, units=comparison.units, origin=np.asarray(frame.origin, float),  # type: ignore[arg-type]
                 up_axis=frame.up_axis, rotation=np.asarray(frame.rotation, float))


def change_view(comparison: Comparison, heat_map: Model, camera: Any) -> dict[str, Any] | None:
    """A view (``viewer.markers.camera_to_view`` shape, display frame) looking at where the scan
    changed most: the points whose |deviation| is over half the largest, seen from outside (from
    the model's centre through them), the whole model in the picture. None when nothing there is
    beyond the tolerance. ``heat_map`` is :func:`heat_map_model`'s (its vertices are the
    comparison's points, in order)."""
    dev = np.abs(comparison.deviations)
    if len(dev) == 0 or float(dev.max()) <= comparison.params.tolerance:
        return None
    pts = np.asarray(heat_map.vertices)[dev >= 0.5 * float(dev.max())]
    target = pts.mean(axis=0)
    outward = target - heat_map.center
    up = np.asarray(camera.up, float)
    outward -= (outward @ up) * up * 0.7  # mostly level: a vessel is seen from its side, a little from above
    if np.linalg.norm(outward) < 1e-9 * heat_map.extent:
        outward = -np.asarray(camera.front, float)
    outward /= np.linalg.norm(outward)
    distance = 0.75 * heat_map.extent / np.tan(np.radians(camera.fov_deg) / 2)
    eye = target + outward * distance
    if abs(outward @ up) > 0.99:  # looking straight down or up: another up
        up = np.cross(outward, [1.0, 0.0, 0.0])
    return {"eye": eye.tolist(), "target": target.tolist(), "up": up.tolist(), "fov": float(camera.fov_deg)}


DEVIATIONS = "deviations.npz"
"""The derived file of a comparison's per-point figures (see :func:`write_derived`)."""


def write_derived(comparison: Comparison, folder: str | Path) -> Path:
    """Write ``deviations.npz`` into ``folder``: the (n,) deviations (float32, in the
    comparison's units), the (n,) sampled vertex indices of the compared scan, the transform
    and the histogram (``histogram_counts`` (bins,), ``histogram_edges`` (bins + 1,)). With
    the compared scan it is enough to show the heat map again (:func:`read_derived`)."""
    path = Path(folder) / DEVIATIONS
    counts, edges = comparison.histogram()
    index = comparison.sample_index
    small = np.uint32 if len(index) == 0 or int(index.max()) < 2**32 else np.int64
    with open(path, "wb") as f:
        np.savez(f, deviations=comparison.deviations.astype(np.float32), sample_index=index.astype(small),
                 transform=comparison.transform, histogram_counts=counts, histogram_edges=edges)
    return path


def read_derived(folder: str | Path) -> dict[str, np.ndarray]:
    """The arrays :func:`write_derived` wrote (no pickles are ever loaded); raises ViewerError
    when the file is missing or damaged (run the comparison again)."""
    from .errors import ViewerError

    path = Path(folder) / DEVIATIONS
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in ("deviations", "sample_index", "transform")}
    except (OSError, ValueError, KeyError) as exc:
        raise ViewerError(f"The kept deviations cannot be read ({exc}); run the comparison again.") from exc
    return arrays


def write_comparison_files(comparison: Comparison, compared: Model, folder: str | Path,
                           snapshot: np.ndarray | None = None, render: bool = True) -> Path:
    """The derived files of a comparison in ``folder``: ``deviations.npz`` and the report
    (:func:`write_report`); returns the folder."""
    out = Path(folder)
    write_report(comparison, compared, out, snapshot, render)
    write_derived(comparison, out)
    return out


def render_heat_map(comparison: Comparison, compared: Model, size: int = 900, view: str = "auto") -> np.ndarray:
    """(size, size, 3) uint8 picture of the heat map (needs an OpenGL context), standing as the
    compared scan was loaded (its up axis). ``view="auto"``: turned about the vertical so that
    where it changed most faces the camera (a three-quarter view when nothing is beyond the
    tolerance); else one of ``viewer.camera.STANDARD_VIEWS``."""
    from .thumbnail import render_image

    model = heat_map_model(comparison, compared, frame=compared)
    if view == "auto":
        view = _face_the_change(comparison, model)
    return render_image(model, size, size, view=view, mode="vertex_colors" if model.kind == "mesh" else "points")


def _face_the_change(comparison: Comparison, model: Model) -> str:
    """Turn ``model``'s geometry about the display's vertical (y) so that the points that changed
    most face +z (the "front" camera); returns the view to render from."""
    dev = np.abs(comparison.deviations)
    if len(dev) == 0 or float(dev.max()) <= comparison.params.tolerance:
        return "iso"
    outward = np.asarray(model.vertices)[dev >= 0.5 * float(dev.max())].mean(axis=0) - model.center
    if np.hypot(outward[0], outward[2]) < 0.3 * abs(outward[1]):
        return "top" if outward[1] > 0 else "bottom"
    angle = float(np.arctan2(outward[0], outward[2]))
    c, s = np.cos(-angle), np.sin(-angle)
    model.geometry.rotate(np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]), center=model.center)
    model.geometry_changed()
    return "front"


def write_report(comparison: Comparison, compared: Model, out_dir: str | Path,
                 snapshot: np.ndarray | None = None, render: bool = True) -> Path:
    """Write the report folder; returns the path of ``report.html``.

    ``snapshot`` is a ready (h, w, 3) uint8 heat-map picture; without one it is rendered
    when ``render`` is true and an OpenGL context exists, else the report says it has none.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    comparison.save_json(out / "comparison.json")
    (out / "histogram.png").write_bytes(histogram_png(comparison))
    lim = colour_range(comparison.deviations, comparison.params.tolerance)
    (out / "legend.png").write_bytes(legend_png(lim, comparison.units))
    picture_note = ""
    if snapshot is None and render:
        from .errors import ViewerError

        try:
            snapshot = render_heat_map(comparison, compared)
        except ViewerError as exc:
            picture_note = f"No heat-map picture: {exc}"
    if snapshot is not None:
        Image.fromarray(snapshot).save(out / "heatmap.png", format="PNG")
    path = out / "report.html"
    path.write_text(_html(comparison, lim, snapshot is not None, picture_note), encoding="utf-8")
    return path


def _html(c: Comparison, lim: float, has_picture: bool, note: str) -> str:
    s, u, e = c.summary(), c.units, html.escape
    rows = [("Points measured", f"{s['points']:,}"), ("Mean (signed)", _fmt(s["mean"], u)),
            ("Mean |deviation|", _fmt(s["mean_abs"], u)), ("RMS", _fmt(s["rms"], u)),
            ("95th percentile |deviation|", _fmt(s["p95"], u)), ("Max |deviation|", _fmt(s["max"], u)),
            ("Beyond tolerance", f"{s['beyond_tolerance'] * 100:.2f} % (tolerance {_fmt(c.params.tolerance, u)})"),
            ("Alignment", f"{c.params.align}{' + ICP' if c.params.icp else ''}, fitness {c.fitness:.3f}")]
    table = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    src = c.sources
    names = {k: e(Path(v["path"]).name) if v.get("path") else e(k) for k, v in src.items()}
    transform = "\n".join("  ".join(f"{x: .6f}" for x in row) for row in c.transform)
    picture = ('<img src="heatmap.png" alt="Heat map of the deviation">' if has_picture
               else f"<p>{e(note or 'No heat-map picture.')}</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scan comparison</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}th{{text-align:left;padding-right:1em}}
img{{max-width:100%}}pre{{background:#f4f4f4;padding:.5em}}</style></head><body>
<h1>Scan comparison</h1>
<p>Compared <b>{names.get('compared', 'B')}</b> against the reference <b>{names.get('reference', 'A')}</b>.
Positive deviation: the compared scan lies outside the reference surface (material added);
negative: inside (material lost).</p>
{picture}
<p><img src="legend.png" alt="Colour scale from {-lim:.4g} to {lim:.4g} {e(u or 'units')}"></p>
<table>{table}</table>
<h2>Histogram</h2><img src="histogram.png" alt="Histogram of the deviation">
<h2>Transform (compared → reference)</h2><pre>{e(transform)}</pre>
<p>Parameters and values: <a href="comparison.json">comparison.json</a>.</p>
</body></html>
"""
