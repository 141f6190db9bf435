"""Writing glTF 2.0 binary (GLB) from a :class:`Model`, and running the Khronos validator.

Our own small writer, so that every byte is under control: y-up metres (see
``geometry``), unit normals, accessors with exact ``min``/``max``, 4-byte alignment,
textures embedded as buffer views, point clouds as ``POINTS`` primitives, optional
KHR_draco_mesh_compression (DracoPy), and public metadata in ``asset``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import glbmaterial
from .geometry import Model, Part
from .profiles import ValidatorUnavailable
from .textures import Texture

GENERATOR = "Heritage & Cuisine 3D Archive"
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
FLOAT, UNSIGNED_BYTE, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5121, 5123, 5125
DRACO = "KHR_draco_mesh_compression"


class _Builder:
    def __init__(self) -> None:
        self.doc: dict[str, Any] = {"accessors": [], "bufferViews": [], "materials": []}
        self.blob = bytearray()
        self.used: set[str] = set()  # extensions the materials and textures use
        self.required: set[str] = set()
        self.images: dict[bytes, int] = {}  # encoded image -> its index, written once

    def view(self, data: bytes, target: int | None = None) -> int:
        self.blob.extend(b"\0" * (-len(self.blob) % 4))
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(data)}
        if target:
            view["target"] = target
        self.blob.extend(data)
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def accessor(self, array: np.ndarray | None, ctype: int, kind: str, count: int, target: int | None,
                 normalized: bool = False, bounds: bool = False) -> int:
        acc: dict[str, Any] = {"componentType": ctype, "count": count, "type": kind}
        if array is not None:
            acc["bufferView"] = self.view(np.ascontiguousarray(array).tobytes(), target)
            if bounds:
                acc["min"] = [float(x) for x in array.min(0)]
                acc["max"] = [float(x) for x in array.max(0)]
        if normalized:
            acc["normalized"] = True
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1


def write_glb(model: Model, textures: Sequence[Texture | None], path: Path, asset_meta: Mapping[str, Any],
              compress: str = "none", name: str = "model", maps: Sequence[Mapping[str, Texture]] | None = None) -> int:
    """Write ``model`` to ``path`` as GLB; returns the file size in bytes.

    ``textures[i]`` is the encoded base-colour texture of ``model.parts[i]`` (or None), and
    ``maps[i]`` its other encoded maps by glTF slot (normal, metallic-roughness…).
    ``asset_meta`` may hold ``copyright`` and ``extras`` (public values only).
    """
    b = _Builder()
    draco = compress == "draco"
    part_maps = list(maps) if maps is not None else [{} for _ in model.parts]
    primitives = [_primitive(b, part, tex, m, draco)
                  for part, tex, m in zip(model.parts, textures, part_maps, strict=True)]
    doc = b.doc
    doc["asset"] = {"version": "2.0", "generator": GENERATOR, **dict(asset_meta)}
    doc["scene"] = 0
    doc["scenes"] = [{"nodes": [0]}]
    doc["nodes"] = [{"mesh": 0, "name": name}]
    doc["meshes"] = [{"primitives": primitives, "name": name}]
    used = sorted(b.used | ({DRACO} if any("extensions" in p for p in primitives) else set()))
    if used:
        doc["extensionsUsed"] = used
    required = sorted(b.required | ({DRACO} if DRACO in used else set()))
    if required:
        doc["extensionsRequired"] = required
    for key in ("images", "textures", "samplers"):
        if not doc.get(key):
            doc.pop(key, None)
    doc["buffers"] = [{"byteLength": len(b.blob)}]
    return _write(path, doc, bytes(b.blob))


def _write(path: Path, doc: dict[str, Any], blob: bytes) -> int:
    js = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 4)
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(js) + (8 + len(blob) if blob else 0)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<4sII", b"glTF", 2, total))
        f.write(struct.pack("<I4s", len(js), b"JSON") + js)
        if blob:
            f.write(struct.pack("<I4s", len(blob), b"BIN\0") + blob)
    tmp.replace(path)
    return total


def _primitive(b: _Builder, part: Part, tex: Texture | None, maps: Mapping[str, Texture],
               draco: bool) -> dict[str, Any]:
    b.doc["materials"].append(glbmaterial.material(b, part, tex, maps))
    material = len(b.doc["materials"]) - 1
    textured = glbmaterial.has_textures(part, tex, maps)
    if draco and part.faces is not None:
        return _draco_primitive(b, part, textured, material)
    n = len(part.vertices)
    positions = part.vertices.astype(np.float32)
    attrs = {"POSITION": b.accessor(positions, FLOAT, "VEC3", n, ARRAY_BUFFER, bounds=True)}
    vertex_normals = part.vertex_normals()
    if vertex_normals is not None:
        normals = vertex_normals.astype(np.float32)
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)  # re-normalise after float32 rounding
        attrs["NORMAL"] = b.accessor(normals, FLOAT, "VEC3", n, ARRAY_BUFFER)
        if glbmaterial.needs_tangents(part, maps):
            assert part.faces is not None and part.uv is not None
            tangents = glbmaterial.tangents(part.vertices, part.faces, part.uv, normals.astype(np.float64))
            attrs["TANGENT"] = b.accessor(tangents, FLOAT, "VEC4", n, ARRAY_BUFFER)
    if part.uv is not None and textured:
        attrs["TEXCOORD_0"] = b.accessor(part.uv.astype(np.float32), FLOAT, "VEC2", n, ARRAY_BUFFER)
    if part.colors is not None:
        attrs["COLOR_0"] = b.accessor(part.colors, UNSIGNED_BYTE, "VEC4", n, ARRAY_BUFFER, normalized=True)
    prim: dict[str, Any] = {"attributes": attrs, "material": material}
    if part.faces is None:
        prim["mode"] = 0
        return prim
    faces = part.faces.astype(np.uint16 if n < 65536 else np.uint32)
    ctype = UNSIGNED_SHORT if faces.dtype == np.uint16 else UNSIGNED_INT
    prim["indices"] = b.accessor(faces.ravel(), ctype, "SCALAR", faces.size, ELEMENT_ARRAY_BUFFER)
    prim["mode"] = 4
    return prim


def _draco_primitive(b: _Builder, part: Part, textured: bool, material: int) -> dict[str, Any]:
    import DracoPy

    assert part.faces is not None
    data = DracoPy.encode(
        part.vertices.astype(np.float32), part.faces.astype(np.uint32), quantization_bits=14, compression_level=7,
        colors=part.colors, tex_coord=part.uv.astype(np.float64) if textured and part.uv is not None else None,
        normals=part.vertex_normals(),
        tex_coord_quantization_bits=12, normal_quantization_bits=10)
    decoded = DracoPy.decode(data)
    ids = {a["attribute_type"]: a["unique_id"] for a in decoded.attributes}
    points = np.asarray(decoded.points, dtype=np.float32).reshape(-1, 3)
    count = len(points)
    attrs: dict[str, int] = {}
    ext_attrs: dict[str, int] = {}
    acc = b.accessor(None, FLOAT, "VEC3", count, None)
    b.doc["accessors"][acc].update(min=[float(x) for x in points.min(0)], max=[float(x) for x in points.max(0)])
    attrs["POSITION"], ext_attrs["POSITION"] = acc, ids[0]
    for gl_name, dtype, kind, ctype, norm in (("NORMAL", 1, "VEC3", FLOAT, False),
                                              ("COLOR_0", 2, "VEC4", UNSIGNED_BYTE, True),
                                              ("TEXCOORD_0", 3, "VEC2", FLOAT, False)):
        if dtype in ids:
            attrs[gl_name] = b.accessor(None, ctype, kind, count, None, normalized=norm)
            ext_attrs[gl_name] = ids[dtype]
    n_idx = int(np.asarray(decoded.faces).size)
    indices = b.accessor(None, UNSIGNED_SHORT if count < 65536 else UNSIGNED_INT, "SCALAR", n_idx, None)
    view = b.view(data)
    return {"attributes": attrs, "indices": indices, "material": material, "mode": 4,
            "extensions": {DRACO: {"bufferView": view, "attributes": ext_attrs}}}


# -- validation -------------------------------------------------------------------------------
@dataclass
class ValidationReport:
    """Counts and messages of the Khronos glTF-Validator for one file."""

    errors: int
    warnings: int
    infos: int
    hints: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    validator: str = ""

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def summary(self) -> str:
        text = f"{self.errors} errors, {self.warnings} warnings, {self.infos} infos"
        worst = [m for m in self.messages if m.get("severity", 3) <= 1][:5]
        return text + "".join(f"\n  {m.get('code')}: {m.get('message')} ({m.get('pointer', '')})" for m in worst)


_VALIDATE_JS = r"""
const fs = require('fs');
const validator = require('gltf-validator');
(async () => {
  const out = {};
  for (const file of JSON.parse(process.argv[1])) {
    try {
      const r = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {maxIssues: 200,
        externalResourceFunction: () => Promise.reject(new Error('external resources are not allowed'))});
      out[file] = {issues: r.issues, validator: r.validatorVersion};
    } catch (e) {
      out[file] = {issues: {numErrors: 1, numWarnings: 0, numInfos: 0, numHints: 0,
        messages: [{code: 'UNREADABLE', message: String(e), severity: 0}]}, validator: ''};
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def node_modules_dir() -> Path:
    """``$HERITAGE_NODE_MODULES``, else ``tools/node/node_modules`` of this checkout."""
    env = os.environ.get("HERITAGE_NODE_MODULES")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "tools" / "node" / "node_modules"


def validator_available() -> bool:
    return shutil.which("node") is not None and (node_modules_dir() / "gltf-validator").is_dir()


def validate(paths: Sequence[Path]) -> dict[Path, ValidationReport]:
    """Run the Khronos glTF-Validator on each GLB in ``paths`` (one node process)."""
    if not validator_available():
        raise ValidatorUnavailable("the glTF validator is not installed; run scripts/node-deps.sh "
                                   "(needs node and npm)")
    files = [str(Path(p).resolve()) for p in paths]
    env = {**os.environ, "NODE_PATH": str(node_modules_dir())}
    proc = subprocess.run(["node", "-e", _VALIDATE_JS, json.dumps(files)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    if proc.returncode != 0:
        raise ValidatorUnavailable(f"the glTF validator failed to run: {proc.stderr.strip()[-400:]}")
    raw = json.loads(proc.stdout)
    reports: dict[Path, ValidationReport] = {}
    for original, resolved in zip(paths, files, strict=True):
        issues = raw[resolved]["issues"]
        reports[Path(original)] = ValidationReport(issues["numErrors"], issues["numWarnings"], issues["numInfos"],
                                                   issues["numHints"], issues.get("messages", []),
                                                   raw[resolved].get("validator", ""))
    return reports
