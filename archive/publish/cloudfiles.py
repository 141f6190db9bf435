"""Full-resolution PLY, LAS and LAZ of a big point cloud, written a chunk at a time.

A cloud for archive-to-archive transfer keeps every point; a 100M-1B-point LiDAR master read
whole (:func:`.geometry.load_model`) would not fit in memory. Any master that
:func:`.cloudstream.open_cloud_source` reads in chunks (LAS/LAZ, E57, PCD, PTS, XYZ, a PLY
cloud) is copied chunk by chunk instead, in the same published frame and with the same
encoding as :func:`.formats.write_ply` / :func:`.formats.write_las` give a cloud read whole:

* PLY: binary little-endian, doubles where float32 would not keep a tenth of a millimetre
  (decided from the source's bounds), RGBA when coloured. The vertex count is known only at
  the end (rows without finite coordinates are dropped), so the header is written last into
  room kept before the rows, the rest of that room a ``comment`` of spaces;
* LAS 1.2 / LAZ (lazrs): Z-up metres, millimetre scale, 16-bit RGB; laspy's writer sets the
  count and bounds in the header when it closes.

A profile that thins (a web budget) still goes the usual way: the reduced copy fits in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .cloudstream import STREAMED_CLOUDS, CloudSource, open_cloud_source
from .formats import HEADER, PLY_TYPES, las_header, las_rgb, ply_coordinate_type, ply_vertex_fields, ply_vertex_rows
from .geometry import Z_UP_TO_Y_UP
from .modelframe import model_frame

#: digits the PLY header keeps room for (any count a file can hold)
_COUNT_DIGITS = 20


def cloud_files_from_master(job: Any) -> Any | None:
    """The export's ``MasterOutput`` for a PLY/LAS/LAZ of a streamable cloud master at full
    resolution; None when the master, the format or the profile needs the usual path."""
    from archive.formats.identify import identify

    from .levelsource import profile_budget

    if job.fmt not in ("ply", "las", "laz") or profile_budget(job.profile, cloud=True) is not None:
        return None
    fmt = identify(job.master)
    if fmt not in STREAMED_CLOUDS:
        return None
    frame = model_frame(fmt, job.units, job.up_axis)
    source = open_cloud_source(job.master, frame)
    if source is None:
        return None
    path = job.folder / f"{job.stem}.{job.fmt}"
    written = write_ply_streamed(source, path) if job.fmt == "ply" else write_las_streamed(source, path)
    notes = [] if frame.units_known else ["the master's units are unknown; it was taken as metres"]
    if written < source.count:
        notes.append(f"{source.count - written:,} points without finite coordinates were left out")
    from .export import MasterOutput  # at run time: export imports this module

    return MasterOutput([path], None, notes)


def write_ply_streamed(source: CloudSource, path: Path) -> int:
    """Every point of ``source`` into a binary PLY at ``path``; returns the points written."""
    lo, hi = source.bounds()
    reach = max(float(np.abs(lo).max()), float(np.abs(hi).max())) if np.isfinite([lo, hi]).all() else 0.0
    fields = ply_vertex_fields(ply_coordinate_type(reach), source.coloured)
    room = len(_ply_header(fields, "9" * _COUNT_DIGITS, 0))
    count = 0
    with open(path, "wb") as f:
        f.seek(room)
        for points, colours in source.chunks():
            f.write(ply_vertex_rows(fields, points, colours).tobytes())
            count += len(points)
        bare = _ply_header(fields, str(count), 0)
        f.seek(0)
        f.write(_ply_header(fields, str(count), room - len(bare)))
    return count


def _ply_header(fields: list[tuple[str, str]], number: str, pad: int) -> bytes:
    """The header for ``number`` vertices, ``pad`` spaces longer (in a comment line)."""
    lines = ["ply", "format binary_little_endian 1.0", f"comment {HEADER} (units: metres, +Y up)",
             "comment " + " " * pad, f"element vertex {number}"]
    lines += [f"property {PLY_TYPES[t]} {n}" for n, t in fields]
    lines.append("end_header")
    return ("\n".join(lines) + "\n").encode("ascii")


def write_las_streamed(source: CloudSource, path: Path) -> int:
    """Every point of ``source`` into LAS 1.2 (LAZ for a .laz ``path``); returns the points written."""
    import laspy

    lo, hi = source.bounds()
    header = las_header((np.array([lo, hi]) @ Z_UP_TO_Y_UP).min(0), source.coloured)  # back to z-up
    count = 0
    with laspy.open(str(path), mode="w", header=header, do_compress=path.suffix.lower() == ".laz") as writer:
        for points, colours in source.chunks():
            z_up = points @ Z_UP_TO_Y_UP
            record = laspy.ScaleAwarePointRecord.zeros(len(z_up), header=header)
            record.x, record.y, record.z = z_up[:, 0], z_up[:, 1], z_up[:, 2]
            if source.coloured:
                rgb = las_rgb(colours, len(z_up))
                record.red, record.green, record.blue = rgb[:, 0], rgb[:, 1], rgb[:, 2]
            writer.write_points(record)
            count += len(z_up)
    return count
