"""The master scan as plain arrays, in glTF's frame: y-up, metres.

A :class:`Model` is a list of :class:`Part` (one per material or point cloud). The master is
read by the reader :data:`MASTER_READERS` names for its format (a new import format needs a
row there): meshes and glTF through trimesh (meshopt-compressed glTF decoded first), point
clouds through :mod:`.clouds`. The archive's limits were checked at import; nothing here
touches the network or resolves a path outside the asset's folder (trimesh's resolver is
rooted there).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from PIL import Image

from archive.errors import CorruptFile, EmptyModel, UnsupportedFormat
from archive.formats.identify import identify
from archive.formats.meshopt import decoded_glb
from glbtools.frames import to_y_up

from . import clouds
from .gltfmaterials import GltfMaterials, material_index, read_materials, split_glb, tagged
from .materials import BASE_COLOR, MaterialDetails
from .modelframe import METRE_FORMATS, model_frame
from .mtlmaterials import alpha_from_map, mtl_details
from .objread import PlainObj, read_plain_obj
from .plytexture import ply_texture

Z_UP_TO_Y_UP = to_y_up("z")  # (x, y, z) -> (x, z, -y): STL and LAS exports go back to Z-up


@dataclass
class Part:
    """One primitive.

    vertices : (n, 3) float64 (float32 as read from a big binary PLY, until turned into
    metres); faces : (m, 3) int64 (int32 from a binary PLY) or None for a point cloud;
    normals : (n, 3) or None (a mesh's are computed on first use: see :meth:`vertex_normals`);
    uv : (n, 2) or None (glTF convention, v down);
    colors : (n, 4) uint8 or None; image : the base-colour texture or None;
    base_color : RGBA 0..1 factor; details : the rest of the material (other maps, factors,
    alpha mode: :class:`~.materials.MaterialDetails`) or None for a plain scan material.
    """

    vertices: np.ndarray
    faces: np.ndarray | None = None
    normals: np.ndarray | None = None
    uv: np.ndarray | None = None
    colors: np.ndarray | None = None
    image: Image.Image | None = None
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    double_sided: bool = False
    details: MaterialDetails | None = None

    @property
    def triangles(self) -> int:
        return 0 if self.faces is None else len(self.faces)

    def vertex_normals(self) -> np.ndarray | None:
        """(n, 3) unit normals of a mesh, area-weighted from its faces unless set; None for
        a point cloud. Lazy, because a master that is decimated never needs its own."""
        if self.normals is None and self.faces is not None:
            self.normals = _vertex_normals(self.vertices, self.faces)
        return self.normals

    @property
    def points(self) -> int:
        return len(self.vertices) if self.faces is None else 0


@dataclass
class Model:
    parts: list[Part]
    notes: list[str] = field(default_factory=list)

    @property
    def triangles(self) -> int:
        return sum(p.triangles for p in self.parts)

    @property
    def points(self) -> int:
        return sum(p.points for p in self.parts)

    def bounds(self) -> np.ndarray:
        """(2, 3) min and max over every part."""
        allv = np.concatenate([p.vertices for p in self.parts])
        return np.array([allv.min(0), allv.max(0)])

    def diagonal(self) -> float:
        b = self.bounds()
        return float(np.linalg.norm(b[1] - b[0])) or 1.0


def load_model(path: Path, units: str | None, up_axis: str = "y") -> Model:
    """Load ``path`` and convert it to metres and y-up.

    ``units`` is the asset's unit (mm, cm, m, in); ``None`` means unknown and the model is
    taken as metres (noted in ``Model.notes``). ``up_axis`` is the master's up axis, "y" or
    "z"; glTF/GLB masters are y-up by definition.
    """
    notes: list[str] = []
    fmt = identify(path)
    reader = MASTER_READERS.get(fmt)
    if reader is None:
        raise UnsupportedFormat(f"{path.name}: {fmt.upper()} masters cannot be exported yet "
                                f"(supported: {', '.join(n.upper() for n in MASTER_READERS)})")
    parts = reader(path)
    notes.extend(getattr(parts, "notes", []))
    if not parts:
        raise EmptyModel(f"{path.name}: the master holds no triangles or points to export")
    # glTF is metres by definition; its up axis is Y unless staff recorded otherwise. The one
    # rule for the GLB and for what is placed on it (hotspots, tour cameras): .modelframe.
    frame = model_frame(fmt, units, up_axis)
    if not units and fmt not in METRE_FORMATS:
        notes.append("the master's units are unknown; it was taken as metres")
    for part in parts:
        part.vertices = frame.points(part.vertices)
        if part.normals is not None:
            part.normals = part.normals @ frame.rotation.T
    return Model(parts, notes)


def read_ply(path: Path) -> list[Part]:
    """A plain binary PLY (scanner output: float coordinates, byte colours, triangles) read in
    chunks into float32 and int32 arrays (:mod:`glbtools.plymesh`); any other PLY (ASCII,
    texture coordinates, quads, extra elements) through trimesh."""
    from glbtools.plymesh import PlyCorrupt, PlyLayoutError, open_ply_mesh

    try:
        mesh = open_ply_mesh(path)
        vertices, colours = mesh.read_vertices()
        faces = mesh.read_faces() if mesh.face_count else None
    except PlyLayoutError:
        return read_with_trimesh(path)
    except PlyCorrupt as exc:
        raise CorruptFile(f"{path.name}: the master cannot be read for export ({exc})") from None
    if not len(vertices) or (faces is not None and not len(faces)):
        return read_with_trimesh(path)  # an empty element: trimesh's reading of it is the rule
    finite = np.isfinite(vertices).all(1)
    if not finite.all():  # as in _to_part: faces on NaN vertices go; a cloud's NaN points go
        if faces is not None:
            faces = faces[finite[faces].all(1)]
        else:
            vertices, colours = vertices[finite], None if colours is None else colours[finite]
    return [Part(vertices, faces, colors=colours)]


def read_obj(path: Path) -> list[Part]:
    """Plain OBJ files through the vectorised reader; any OBJ it declines through trimesh."""
    plain = read_plain_obj(path)
    return [_plain_part(plain)] if plain is not None else read_with_trimesh(path)


class Parts(list[Part]):
    """A reader's parts, with ``notes`` on what of the master they do not hold."""

    def __init__(self, parts: list[Part] | None = None, notes: list[str] | None = None):
        super().__init__(parts or [])
        self.notes: list[str] = list(notes or [])


class _SideFiles(trimesh.resolvers.FilePathResolver):
    """The master's folder, reached with Windows-style references too (``map_Kd .\\tex.jpg`` in
    an MTL written on Windows): the import resolved them the same way, so export must as well."""

    def get(self, name: str) -> bytes:
        return bytes(super().get(name.replace("\\", "/")))


def read_with_trimesh(path: Path) -> list[Part]:
    """Meshes (and PLY point clouds) through trimesh; an OBJ's MTL and a PLY's TextureFile
    are read for what trimesh leaves out."""
    try:
        loaded: Any = trimesh.load(str(path), force="scene", process=False, resolver=_SideFiles(str(path)))
    except Exception as exc:  # noqa: BLE001 - trimesh raises anything on bad files
        raise CorruptFile(f"{path.name}: the master cannot be read for export ({type(exc).__name__}: {exc})") from exc
    parts = Parts()
    for geom in _geometries(loaded):
        part = _to_part(geom)
        if part is not None:
            if path.suffix.lower() == ".obj":
                _mtl(part, geom, path.parent, parts.notes)
            parts.append(part)
    if path.suffix.lower() == ".ply":
        _ply_texture(parts, path)
    return parts


def read_gltf(path: Path) -> list[Part]:
    """glTF/GLB through trimesh (meshopt-compressed views decoded first); each part's whole
    material is read from the document itself (:mod:`.gltfmaterials`)."""
    plain = decoded_glb(path)
    try:
        doc, binary = split_glb(plain if plain is not None else path.read_bytes())
        data, file_type = tagged(doc, binary)
        loaded: Any = trimesh.load(io.BytesIO(data), file_type=file_type, force="scene", process=False,
                                   resolver=trimesh.resolvers.FilePathResolver(str(path.parent)))
    except Exception as exc:  # noqa: BLE001 - trimesh raises anything on bad files
        raise CorruptFile(f"{path.name}: the master cannot be read for export ({type(exc).__name__}: {exc})") from exc
    gltf = read_materials(path, doc, binary)
    parts = Parts(notes=gltf.notes)
    for geom in _geometries(loaded):
        part = _to_part(geom)
        if part is not None:
            _gltf_material(part, geom, gltf, parts.notes)
            parts.append(part)
    return parts


def _gltf_material(part: Part, geom: Any, gltf: GltfMaterials, notes: list[str]) -> None:
    """Give ``part`` its glTF material as the document says it."""
    index = material_index(getattr(getattr(geom, "visual", None), "material", None))
    if index is None or index >= len(gltf.materials):
        return
    details = gltf.materials[index]
    part.details, part.double_sided, part.base_color = details, gltf.double_sided[index], gltf.base_colors[index]
    base = details.maps.get(BASE_COLOR)
    part.image = base.image if base is not None else None
    uv = getattr(geom.visual, "uv", None)
    if details.maps and uv is not None and len(uv) == len(part.vertices):
        uv = np.asarray(uv, dtype=np.float64)
        part.uv = np.column_stack([uv[:, 0], 1.0 - uv[:, 1]])  # trimesh flipped glTF's v
    elif details.maps:
        notes.append(f"material {index}'s maps cannot be placed on a primitive without texture coordinates")
        part.details = replace(details, maps={})
        part.image = None


def _mtl(part: Part, geom: Any, folder: Path, notes: list[str]) -> None:
    material = getattr(getattr(geom, "visual", None), "material", None)
    kwargs = getattr(material, "kwargs", None)
    if not kwargs:
        return
    part.details, alpha = mtl_details(kwargs, folder, notes, part.base_color)
    part.base_color = (*part.base_color[:3], alpha)
    if "map_d" in kwargs:
        part.image = alpha_from_map(kwargs["map_d"], part.image, folder, notes) or part.image
    if part.details is not None and part.details.maps and part.uv is None:
        notes.append("the MTL's maps cannot be placed: the mesh has no texture coordinates")
        part.details.maps.clear()


def _ply_texture(parts: Parts, path: Path) -> None:
    named, image = ply_texture(path, parts.notes)
    for part in parts:
        if part.image is not None and named:
            part.image = image  # trimesh's own or its grey placeholder for a missing file
            if image is None:
                part.uv = None


def _cloud_reader(read: Callable[[Path], clouds.Cloud]) -> Callable[[Path], list[Part]]:
    def read_cloud(path: Path) -> list[Part]:
        points, colours = read(path)
        if not len(points):
            return []
        rgb = None if colours is None else np.clip(colours, 0, 255).round().astype(np.uint8)
        return [Part(points, colors=None if rgb is None else _rgba(rgb))]

    return read_cloud


MasterReader = Callable[[Path], list[Part]]

MASTER_READERS: dict[str, MasterReader] = {
    "ply": read_ply,
    "obj": read_obj,
    "stl": read_with_trimesh,
    "off": read_with_trimesh,
    "gltf": read_gltf,
    "glb": read_gltf,
    **{fmt: _cloud_reader(read) for fmt, read in clouds.READERS.items()},
}
"""Import format (``archive.formats.IMPORT_FORMATS``) -> reader of the master's parts for export."""


def _plain_part(obj: PlainObj) -> Part:
    part = Part(obj.vertices, obj.faces)
    finite = np.isfinite(obj.vertices).all(1)
    if not finite.all():  # as in _to_part
        part.faces = obj.faces[finite[obj.faces].all(1)]
    if obj.colors is not None:
        part.colors = _rgba(np.nan_to_num(obj.colors, nan=0.0))  # NaN colour: black, as trimesh
    return part


def _geometries(loaded: Any) -> list[Any]:
    """Each geometry placed by the scene graph. Unlike ``Scene.dump`` this copies only the
    geometries that a transform moves: a copy of a textured mesh deep-copies (and so
    decodes) its texture, which cost more than the rest of a small export."""
    if not isinstance(loaded, trimesh.Scene):
        return [loaded]
    out = []
    for node in loaded.graph.nodes_geometry:
        transform, name = loaded.graph[node]
        geom = loaded.geometry[name]
        if not np.allclose(transform, np.eye(4), rtol=0, atol=1e-12):
            attributes = dict(getattr(geom.visual, "vertex_attributes", None) or {})
            geom = geom.copy()
            geom.apply_transform(transform)
            kept = getattr(geom.visual, "vertex_attributes", None)
            for key, value in attributes.items():  # trimesh's copy keeps only the UVs of a texture visual
                if kept is not None and key not in kept:
                    kept[key] = value
        out.append(geom)
    return out


def _to_part(geom: object) -> Part | None:
    if isinstance(geom, trimesh.PointCloud):
        if not len(geom.vertices):
            return None
        colors = _rgba(geom.colors) if len(getattr(geom, "colors", [])) == len(geom.vertices) else None
        return Part(np.asarray(geom.vertices, dtype=np.float64), colors=colors)
    if not isinstance(geom, trimesh.Trimesh) or not len(geom.faces):
        return None
    vertices = np.asarray(geom.vertices, dtype=np.float64)
    faces: np.ndarray = np.asarray(geom.faces, dtype=np.int64)
    part = Part(vertices, faces)
    finite = np.isfinite(vertices).all(1)
    if not finite.all():  # NaN vertices (seen in real OBJ files): drop the faces that use them
        faces = faces[np.asarray(finite)[faces].all(1)]
        part.faces = faces
    visual: Any = geom.visual
    if isinstance(visual, trimesh.visual.TextureVisuals):
        _texture(part, visual)
    elif visual.kind in ("vertex", "face"):  # glTF has no face colours: trimesh spreads them to vertices
        part.colors = _rgba(visual.vertex_colors)
    return part


def _texture(part: Part, visual: trimesh.visual.TextureVisuals) -> None:
    material = visual.material
    image = getattr(material, "image", None) or getattr(material, "baseColorTexture", None)
    factor = getattr(material, "baseColorFactor", None)
    if factor is None:
        diffuse = getattr(material, "diffuse", None)
        factor = diffuse if diffuse is not None and image is None else None
    if factor is not None:
        f = np.asarray(factor, dtype=np.float64).ravel()
        f = f / 255.0 if f.max() > 1.0 else f
        part.base_color = (float(f[0]), float(f[1]), float(f[2]), float(f[3]) if len(f) > 3 else 1.0)
    if getattr(material, "doubleSided", False):
        part.double_sided = True
    if image is not None and visual.uv is not None and len(visual.uv) == len(part.vertices):
        part.image = image
        uv = np.asarray(visual.uv, dtype=np.float64)
        part.uv = np.column_stack([uv[:, 0], 1.0 - uv[:, 1]])  # trimesh keeps OBJ's v-up
    colours = visual.vertex_attributes.get("color") if hasattr(visual, "vertex_attributes") else None
    if colours is not None and len(colours) == len(part.vertices):  # glTF COLOR_0 next to a texture
        part.colors = _rgba(np.asarray(colours))


def _rgba(colors: np.ndarray) -> np.ndarray:
    c = np.asarray(colors)
    if c.dtype != np.uint8:
        c = (np.clip(c, 0, 1) * 255).round().astype(np.uint8) if c.max() <= 1.0 else c.clip(0, 255).astype(np.uint8)
    if c.shape[1] == 3:
        c = np.column_stack([c, np.full(len(c), 255, np.uint8)])
    return np.ascontiguousarray(c[:, :4])


def _vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals, (n, 3); vertices on no face get +Y."""
    tri = vertices[faces]
    face_n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n = len(vertices)
    flat = faces.ravel()
    normals = np.column_stack([np.bincount(flat, np.repeat(face_n[:, a], 3), minlength=n) for a in range(3)])
    length = np.linalg.norm(normals, axis=1)
    bad = ~(length > 1e-20) | ~np.isfinite(length)
    normals[bad] = (0.0, 1.0, 0.0)
    length[bad] = 1.0
    return normals / length[:, None]


def recompute_normals(part: Part) -> None:
    """Forget ``part.normals`` after its geometry changed (decimation): they are computed
    again from the new faces on first use."""
    part.normals = None
