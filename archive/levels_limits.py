"""Memory and time for building one master's levels of detail in the isolated worker.

A big LAS/LAZ or plain PLY cloud is never held whole: its first level is thinned while it is
read a chunk at a time (:func:`.publish.cloudstream.thin_cloud_master`, which keeps at most
:data:`.publish.clouds.HOLD` times the level's points), the coarser levels come from that
level, and the pick index is sorted out of core a chunk at a time (:mod:`.pickindex`). So the
job's memory follows the first level's size and the chunk, not the file: a 100M-point LAZ and
a 1G-point one need nearly the same (a binary PLY's memory maps add its size to the address
space). Its limit is computed from that (:func:`.isolation.limits_for_holding`) and its time
from the points to read, and from the file's size for text clouds and compressed PCDs, whose
parsing or decoding costs far more per point than LAS. Any other master is read whole, and keeps the reader's rule
(:func:`.isolation.limits_for`: what a PLY's header or a glTF's JSON says it holds
(:mod:`.memory_estimate`), else the file's size).
"""

from __future__ import annotations

from pathlib import Path

from workers import JobLimits

#: bytes per point the fine cells may hold (:data:`.publish.clouds.HOLD` x the level's
#: points): int32 x/y/z, an int64 cell and uint16 RGB, twice over between merges, copied and
#: sorted at a merge; then the float64 copy that the level's grid is chosen on
BYTES_PER_HELD_POINT = 100
#: bytes per point of one chunk in flight: laspy's record and decompression buffers, the cells
#: and their sort; the pick index's codes, rows and their order
BYTES_PER_CHUNK_POINT = 200
#: bytes per point read that stay until the end: the pick index's leaf boxes (24 per 64 points)
BYTES_PER_POINT_READ = 1
#: the first level (thinning), then the pick index (every point read again, sorted, written)
SECONDS_PER_MILLION_POINTS = 6.0
BASE_SECONDS = 300.0
#: a text cloud (PTS, XYZ, an ASCII PLY) is parsed three times (measured, thinned, spilled for
#: the pick index) at ~5 MB/s on a loaded 2-core machine; a compressed PCD is decoded twice by
#: a pure-Python LZF decoder (~3-6 MB/s of output): seconds per MB of the file, on top
SECONDS_PER_TEXT_MB = 1.0
SECONDS_PER_COMPRESSED_PCD_MB = 2.0


def levels_limits(master: Path, targets: tuple[int, ...] | None = None, total: int | None = None) -> JobLimits:
    """Memory (address space) and time for :func:`.levels.build_levels` of ``master`` in the
    worker; ``total`` replaces this machine's memory (tests). Raises ``LimitExceeded`` with
    what the job needs and what the machine has when it cannot be done here."""
    from .isolation import limits_for, limits_for_holding

    streamed = _streamed_points(master, targets)
    if streamed is None:
        limits = limits_for([master], per_byte=6, total=total)
        return JobLimits(limits.memory, max(limits.timeout, BASE_SECONDS + master.stat().st_size / 2e6),
                         limits.needed, limits.cap)
    count, first = streamed
    from .formats.identify import identify
    from .pickindex import CHUNK
    from .publish.clouds import HOLD

    held = (HOLD * first * BYTES_PER_HELD_POINT + min(CHUNK, count) * BYTES_PER_CHUNK_POINT
            + count * BYTES_PER_POINT_READ)
    size = master.stat().st_size
    size_mb, layout = size / 1e6, _layout(master, identify(master))
    if layout == "binary ply":  # read through memory maps (the thinning's, the pick index's): address space
        held += 2 * size
    seconds = BASE_SECONDS + SECONDS_PER_MILLION_POINTS * count / 1e6
    if layout == "text":
        seconds += SECONDS_PER_TEXT_MB * size_mb
    elif layout == "compressed pcd":
        seconds += SECONDS_PER_COMPRESSED_PCD_MB * size_mb
    return limits_for_holding(master.name, held, seconds, total, task="build its levels of detail")


def _layout(master: Path, fmt: str) -> str:
    """What reading ``master`` a chunk at a time costs beyond its points: "binary ply" (memory
    maps), "text" (parsed), "compressed pcd" (decoded), or "" (LAS/LAZ, E57, binary PCD)."""
    if fmt in ("pts", "xyz"):
        return "text"
    if fmt == "ply":
        from .formats.ply import read_header

        return "text" if read_header(master).encoding == "ascii" else "binary ply"
    if fmt == "pcd":
        from .formats.pointclouds import _pcd_header  # the readers' own parse of the header

        data = _pcd_header(master)[0].get("DATA", [""])
        return "compressed pcd" if data and data[0].lower() == "binary_compressed" else ""
    return ""


def _streamed_points(master: Path, targets: tuple[int, ...] | None) -> tuple[int, int] | None:
    """(points, first level's points) of a cloud master whose first level is thinned while it
    is read (the rule of :func:`.levels.build_levels`); None for any other master."""
    from .levels import _targets
    from .publish.cloudstream import streamed_cloud_points

    count = streamed_cloud_points(master)
    wanted = _targets(count or 0, False, targets)
    if count is None or not wanted or count <= 2 * wanted[0]:
        return None
    return count, wanted[0]
