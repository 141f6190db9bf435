"""glTF scene walk: per-primitive counts and the world-space box of POSITION min/max."""

from __future__ import annotations

from typing import Any

import numpy as np

from archive.errors import CorruptFile
from archive.formats import _common as C
from archive.formats.base import ScanInfo

Json = dict[str, Any]
# Normalized integer components map to [-1, 1] or [0, 1] (glTF 2.0 §3.11).
_NORMALIZE = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}
_CORNERS = np.array([[x, y, z, 1.0] for x in (0, 1) for y in (0, 1) for z in (0, 1)])


def geometry(doc: Json, name: str, info: ScanInfo) -> None:
    """Fill vertices/faces/points/box/colours from every mesh instance of the scene."""
    meshes = _list(doc, "meshes", name)
    boxes: list[tuple[C.Vec3, C.Vec3]] = []
    modes: dict[int, int] = {}
    for mesh_index, matrix in instances(doc, name):
        if not 0 <= mesh_index < len(meshes):
            raise CorruptFile(f"{name}: a node refers to mesh {mesh_index}, which does not exist.")
        prims = meshes[mesh_index].get("primitives", [])
        if not isinstance(prims, list):
            raise CorruptFile(f"{name}: mesh {mesh_index} primitives is not a list.")
        for prim in prims:
            _primitive(doc, prim, matrix, name, info, boxes, modes)
    info.bbox_min, info.bbox_max = C.merge_boxes(boxes)
    info.details["primitive_modes"] = {str(k): v for k, v in sorted(modes.items())}
    if info.faces == 0 and info.points:
        info.geometry = "points"


def _list(doc: Json, key: str, name: str) -> list[Json]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CorruptFile(f"{name}: glTF '{key}' is not a list of objects.")
    return value


def _accessor(doc: Json, i: object, name: str) -> Json:
    accs = doc.get("accessors", [])
    if not isinstance(i, int) or not 0 <= i < len(accs):
        raise CorruptFile(f"{name}: a primitive refers to accessor {i!r}, which does not exist.")
    acc: Json = accs[i]
    return acc


def _primitive(
    doc: Json,
    prim: object,
    matrix: np.ndarray,
    name: str,
    info: ScanInfo,
    boxes: list[tuple[C.Vec3, C.Vec3]],
    modes: dict[int, int],
) -> None:
    if not isinstance(prim, dict) or not isinstance(prim.get("attributes"), dict):
        raise CorruptFile(f"{name}: a mesh primitive has no attributes.")
    attrs = prim["attributes"]
    if "POSITION" not in attrs:
        return
    pos = _accessor(doc, attrs["POSITION"], name)
    n = int(pos["count"])
    mode = prim.get("mode", 4)
    idx = _accessor(doc, prim["indices"], name)["count"] if "indices" in prim else n
    modes[mode] = modes.get(mode, 0) + 1
    info.vertices += n
    if mode == 4:
        info.faces += int(idx) // 3
    elif mode in (5, 6):
        info.faces += max(int(idx) - 2, 0)
    elif mode == 0:
        info.points += n
    info.vertex_colors = info.vertex_colors or "COLOR_0" in attrs
    box = _box(pos, matrix, info.warnings)
    if box is not None:
        boxes.append(box)


def _box(acc: Json, matrix: np.ndarray, warnings: list[str]) -> tuple[C.Vec3, C.Vec3] | None:
    lo, hi = acc.get("min"), acc.get("max")
    if not (isinstance(lo, list) and isinstance(hi, list) and len(lo) == 3 == len(hi)):
        warnings.append("a POSITION accessor has no min/max; the box leaves it out")
        return None
    try:
        lo_a, hi_a = np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64)
    except (TypeError, ValueError):
        warnings.append("a POSITION accessor has non-numeric min/max")
        return None
    scale = _NORMALIZE.get(acc.get("componentType", 5126)) if acc.get("normalized") else None
    if scale is not None:  # quantized (KHR_mesh_quantization): min/max are stored integers
        lo_a, hi_a = np.maximum(lo_a / scale, -1.0), np.maximum(hi_a / scale, -1.0)
    corners = np.where(_CORNERS[:, :3] > 0, hi_a, lo_a)
    world = np.c_[corners, np.ones(8)] @ matrix.T
    return C._vec(world[:, :3].min(axis=0)), C._vec(world[:, :3].max(axis=0))


def instances(doc: Json, name: str) -> list[tuple[int, np.ndarray]]:
    """(mesh index, 4x4 world matrix) of every mesh placed by the default scene; every
    mesh once with the identity when the file has no scene."""
    nodes = _list(doc, "nodes", name)
    scenes = _list(doc, "scenes", name)
    if not scenes:
        return [(i, np.eye(4)) for i in range(len(_list(doc, "meshes", name)))]
    choice = doc.get("scene", 0)
    if not isinstance(choice, int) or not 0 <= choice < len(scenes):
        raise CorruptFile(f"{name}: default scene {choice!r} does not exist.")
    stack = [(r, np.eye(4), 0) for r in scenes[choice].get("nodes", [])]
    found: list[tuple[int, np.ndarray]] = []
    while stack:
        i, parent, depth = stack.pop()
        if not isinstance(i, int) or not 0 <= i < len(nodes) or depth > len(nodes):
            raise CorruptFile(f"{name}: node hierarchy refers to a missing node or has a cycle.")
        node = nodes[i]
        world = parent @ _local(node, name)
        if isinstance(node.get("mesh"), int):
            found.append((node["mesh"], world))
        stack.extend((c, world, depth + 1) for c in node.get("children", []))
    return found


def _local(node: Json, name: str) -> np.ndarray:
    try:
        if "matrix" in node:
            return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T  # column-major
        t = np.array(node.get("translation", [0, 0, 0]), dtype=np.float64).reshape(3)
        x, y, z, w = np.array(node.get("rotation", [0, 0, 0, 1]), dtype=np.float64).reshape(4)
        s = np.array(node.get("scale", [1, 1, 1]), dtype=np.float64).reshape(3)
    except (TypeError, ValueError):
        raise CorruptFile(f"{name}: a node has a malformed transform.") from None
    rot = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])  # fmt: skip
    m = np.eye(4)
    m[:3, :3] = rot * s
    m[:3, 3] = t
    return m


def material_textures(doc: Json, name: str) -> set[int]:
    """Texture indices used by any material (core and extension texture slots)."""
    used: set[int] = set()
    stack: list[object] = list(_list(doc, "materials", name))
    while stack:
        obj = stack.pop()
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key.endswith("Texture") and isinstance(value, dict) and isinstance(value.get("index"), int):
                    used.add(value["index"])
                stack.append(value)
        elif isinstance(obj, list):
            stack.extend(obj)
    return used


def texture_sources(texture: Json) -> list[int]:
    """Image indices a texture may use (``source`` and extension sources such as
    KHR_texture_basisu or EXT_texture_webp)."""
    found = [texture["source"]] if isinstance(texture.get("source"), int) else []
    exts = texture.get("extensions")
    if isinstance(exts, dict):
        found += [e["source"] for e in exts.values() if isinstance(e, dict) and isinstance(e.get("source"), int)]
    return found
