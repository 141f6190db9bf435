"""Big inputs for the benchmarks, generated at run time from corpus scans (never committed).

* :func:`make_mesh` — a binary PLY of about N triangles: Nefertiti (70k triangles) subdivided
  (midpoint, x4 per step) and given a fine relief (a sum of sines along the normals, ~0.1 mm
  on a 0.5 m bust) so a subdivided face is not flat and a simplifier has real work; as many
  side-by-side copies as needed, the last one cut short. Optionally its GLB (for gltfpack).
* :func:`make_cloud` — a LAZ of about N points: the Guanyin scan (238k coloured points) tiled
  on a grid and jittered, written in chunks with laspy (lazrs).
* :func:`measure` — wall time and peak memory (sum of the resident sets of a command and all
  its children, sampled every 50 ms) of one command.

Memory while generating stays near one copy of the subdivided scan (~1.5 GB at 50M triangles).
"""

from __future__ import annotations

import json
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
NEFERTITI = CORPUS / "odedstein-meshes" / "nefertiti" / "nefertiti-lowres.obj"
GUANYIN = CORPUS / "pcx-guanyin" / "Guanyin.ply"
GLTFPACK = ROOT / "tools" / "node" / "node_modules" / ".bin" / "gltfpack"


@dataclass
class Run:
    seconds: float
    peak_bytes: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the command and its children (sampled)
    returncode: int = 0

    @property
    def gb(self) -> float:
        return self.peak_bytes / 1024**3


def measure(cmd: list[str], env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run ``cmd``; its wall time, the peak of the summed RSS of it and its descendants, and
    their CPU time (each process's last sample: up to 50 ms of each may be missed)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    root = psutil.Process(proc.pid)
    peak = 0
    import threading

    out: dict[str, str] = {}

    def drain(name: str, stream: object) -> None:
        out[name] = stream.read()  # type: ignore[attr-defined]

    readers = [threading.Thread(target=drain, args=(n, s)) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                    times = p.cpu_times()
                    cpu[p.pid] = times.user + times.system
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    for t in readers:
        t.join()
    if check and proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])}… failed ({proc.returncode}): {out.get('err', '')[-3000:]}")
    return Run(seconds, peak, out.get("out", ""), out.get("err", ""), sum(cpu.values()), proc.returncode)


# --- meshes ---------------------------------------------------------------------------------

def _relief(vertices: np.ndarray, normals: np.ndarray, amplitude: float, wavelength: float) -> np.ndarray:
    """``vertices`` moved along ``normals`` by a sum of three sines (a chiselled-stone relief)."""
    rng = np.random.default_rng(12)
    out = np.empty_like(vertices)
    step = 2_000_000
    dirs = rng.normal(size=(3, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    for a in range(0, len(vertices), step):
        v, n = vertices[a:a + step], normals[a:a + step]
        h = np.zeros(len(v))
        for k, (d, scale) in enumerate(zip(dirs, (1.0, 0.53, 0.29), strict=True)):
            h += np.sin(v @ d * (2 * np.pi / (wavelength * scale)) + k) * scale
        out[a:a + step] = v + n * (h * amplitude / 1.8)[:, None]
    return out


def _base_copy(triangles: int) -> tuple[np.ndarray, np.ndarray]:
    """One relief copy of Nefertiti subdivided to at most ``triangles`` (at least once)."""
    import trimesh

    mesh = trimesh.load(NEFERTITI, process=False, force="mesh")
    vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    normals = np.asarray(mesh.vertex_normals)
    while len(faces) * 4 <= triangles:
        vertices, faces, attrs = trimesh.remesh.subdivide(vertices, faces, vertex_attributes={"n": normals})
        normals = attrs["n"]
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return _relief(vertices, normals, amplitude=0.12, wavelength=3.0).astype(np.float32), faces.astype(np.int32)


def _copies(triangles: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(vertices, faces of one copy, faces kept from each copy) for about ``triangles``."""
    vertices, faces = _base_copy(triangles)
    per = len(faces)
    counts = [per] * (triangles // per) + ([triangles % per] if triangles % per else [])
    return vertices, faces, counts


def make_mesh(path: Path, triangles: int, glb: bool = False) -> Path:
    """Write the relief mesh of ``triangles`` triangles (see the module docstring) to ``path``
    (binary PLY, float32, int32 faces) and, with ``glb``, the same geometry next to it as
    ``.glb``. Nothing is done when the file exists."""
    if path.exists() and (not glb or path.with_suffix(".glb").exists()):
        return path
    vertices, faces, counts = _copies(triangles)
    width = float(np.ptp(vertices[:, 0])) * 1.1
    pieces = []  # (vertex offset, used vertices, faces reindexed) per copy, kept lazily
    for k, count in enumerate(counts):
        used = np.unique(faces[:count]) if count < len(faces) else None
        pieces.append((k, count, used))
    nverts = sum(len(vertices) if used is None else len(used) for _, _, used in pieces)
    nfaces = sum(counts)

    def copy(k: int, count: int, used: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        v, f = vertices, faces[:count]
        if used is not None:
            remap = np.full(len(vertices), -1, np.int32)
            remap[used] = np.arange(len(used), dtype=np.int32)
            v, f = vertices[used], remap[f]
        return v + np.array([k * width, 0, 0], np.float32), f

    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write((f"ply\nformat binary_little_endian 1.0\ncomment generated by benchmarks/bigscan.py\n"
                  f"element vertex {nverts}\nproperty float x\nproperty float y\nproperty float z\n"
                  f"element face {nfaces}\nproperty list uchar int vertex_indices\nend_header\n").encode())
        for piece in pieces:
            fh.write(copy(*piece)[0].astype("<f4").tobytes())
        offset = 0
        for piece in pieces:
            v, f = copy(*piece)
            rec = np.empty(len(f), dtype=[("n", "u1"), ("v", "<i4", (3,))])
            rec["n"], rec["v"] = 3, f + offset
            fh.write(rec.tobytes())
            offset += len(v)
    tmp.replace(path)
    if glb:
        _write_glb(path.with_suffix(".glb"), [copy(*piece) for piece in pieces])
    return path


def _write_glb(path: Path, copies: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Positions and uint32 indices of ``copies`` as one primitive (what gltfpack reads)."""
    nverts = sum(len(v) for v, _ in copies)
    nidx = sum(f.size for _, f in copies)
    lo = np.min([v.min(0) for v, _ in copies], axis=0)
    hi = np.max([v.max(0) for v, _ in copies], axis=0)
    pos_bytes, idx_bytes = nverts * 12, nidx * 4
    doc = {"asset": {"version": "2.0", "generator": "bigscan"}, "scene": 0, "scenes": [{"nodes": [0]}],
           "nodes": [{"mesh": 0}], "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
           "buffers": [{"byteLength": pos_bytes + idx_bytes}],
           "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": pos_bytes, "target": 34962},
                           {"buffer": 0, "byteOffset": pos_bytes, "byteLength": idx_bytes, "target": 34963}],
           "accessors": [{"bufferView": 0, "componentType": 5126, "count": nverts, "type": "VEC3",
                          "min": lo.tolist(), "max": hi.tolist()},
                         {"bufferView": 1, "componentType": 5125, "count": nidx, "type": "SCALAR"}]}
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(js) + 8 + pos_bytes + idx_bytes))
        fh.write(struct.pack("<I4s", len(js), b"JSON") + js)
        fh.write(struct.pack("<I4s", pos_bytes + idx_bytes, b"BIN\0"))
        for v, _ in copies:
            fh.write(v.astype("<f4").tobytes())
        offset = 0
        for v, f in copies:
            fh.write((f.astype(np.uint32) + offset).tobytes())
            offset += len(v)


# --- clouds ---------------------------------------------------------------------------------

def make_cloud(path: Path, points: int, chunk: int = 5_000_000) -> Path:
    """Write a LAZ (or LAS, by suffix) of ``points`` coloured points: the Guanyin scan tiled on
    a square grid of copies, each jittered by a tenth of its point spacing."""
    if path.exists():
        return path
    import laspy
    import trimesh

    scan = trimesh.load(GUANYIN, process=False)
    base = np.asarray(scan.vertices, dtype=np.float64)
    colours = np.asarray(getattr(scan, "colors", np.full((len(base), 4), 200, np.uint8)))[:, :3].astype(np.uint16)
    colours = colours * 257
    extent = np.ptp(base, axis=0)
    copies = -(-points // len(base))
    side = int(np.ceil(np.sqrt(copies)))
    jitter = float(extent.max()) / np.sqrt(len(base)) * 0.1
    header = laspy.LasHeader(point_format=2, version="1.2")
    header.scales = np.array([0.0001, 0.0001, 0.0001])
    header.offsets = np.floor(base.min(0))
    rng = np.random.default_rng(3)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    written = 0
    with laspy.open(str(tmp), mode="w", header=header, do_compress=path.suffix.lower() == ".laz",
                    laz_backend=laspy.LazBackend.LazrsParallel) as writer:
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        held = 0
        for k in range(copies):
            n = min(len(base), points - written - held)
            if n <= 0:
                break
            shift = np.array([(k % side) * extent[0] * 1.2, (k // side) * extent[1] * 1.2, 0.0])
            pending.append((base[:n] + shift + rng.normal(scale=jitter, size=(n, 3)), colours[:n]))
            held += n
            if held >= chunk or written + held >= points:
                _write_points(writer, header, pending)
                written += held
                pending, held = [], 0
        if pending:
            _write_points(writer, header, pending)
    tmp.replace(path)
    return path


def _write_points(writer: object, header: object, pending: list[tuple[np.ndarray, np.ndarray]]) -> None:
    import laspy

    xyz = np.concatenate([p for p, _ in pending])
    rgb = np.concatenate([c for _, c in pending])
    record = laspy.ScaleAwarePointRecord.zeros(len(xyz), header=header)  # type: ignore[arg-type]
    record.x, record.y, record.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    record.red, record.green, record.blue = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    writer.write_points(record)  # type: ignore[attr-defined]
