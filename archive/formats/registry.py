"""The import table: every 3D format the archive accepts, in one place.

Identification (:mod:`archive.formats.identify`), inspection (:func:`archive.formats.inspect_scan`),
the import dialog's filter, the README list and "unsupported format" messages are all derived
from :data:`IMPORT_FORMATS`. A new import format is one module with an
``inspect_<fmt>(path, root, limits) -> ScanInfo`` function and one row here; the viewer's
``viewer.readers.READERS`` and the export's ``archive.publish.geometry.MASTER_READERS`` need
a row too (``tests/archive/test_format_tables.py`` fails until they have one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archive.formats.base import Limits, ScanInfo
from archive.formats.gltf import inspect_glb, inspect_gltf
from archive.formats.lidar import inspect_e57, inspect_las
from archive.formats.obj import inspect_obj
from archive.formats.off import inspect_off
from archive.formats.ply import inspect_ply
from archive.formats.pointclouds import inspect_pcd, inspect_pts, inspect_xyz
from archive.formats.stl import inspect_stl

Inspector = Callable[[Path, Path, Limits], ScanInfo]


@dataclass(frozen=True)
class ImportFormat:
    """One accepted format.

    ``label`` is what people call it (lists and messages); ``suffixes`` the extensions it is
    recognised by; ``binary`` formats are only accepted when their signature matches (an
    extension alone is not enough); ``geometry`` is what it usually holds.
    """

    label: str
    suffixes: tuple[str, ...]
    inspector: Inspector
    geometry: Literal["mesh", "points", "either"]
    binary: bool = False


IMPORT_FORMATS: dict[str, ImportFormat] = {
    "ply": ImportFormat("PLY", (".ply",), inspect_ply, "either"),
    "obj": ImportFormat("OBJ", (".obj",), inspect_obj, "mesh"),
    "stl": ImportFormat("STL", (".stl",), inspect_stl, "mesh"),
    "off": ImportFormat("OFF", (".off",), inspect_off, "mesh"),
    "gltf": ImportFormat("glTF", (".gltf",), inspect_gltf, "mesh"),
    "glb": ImportFormat("GLB", (".glb",), inspect_glb, "mesh", binary=True),
    "pcd": ImportFormat("PCD", (".pcd",), inspect_pcd, "points"),
    "xyz": ImportFormat("XYZ", (".xyz",), inspect_xyz, "points"),
    "pts": ImportFormat("PTS", (".pts",), inspect_pts, "points"),
    "e57": ImportFormat("E57", (".e57",), inspect_e57, "points", binary=True),
    "las": ImportFormat("LAS", (".las",), inspect_las, "points", binary=True),
    "laz": ImportFormat("LAZ", (".laz",), inspect_las, "points", binary=True),
}

SCAN_SUFFIXES: dict[str, str] = {s: name for name, f in IMPORT_FORMATS.items() for s in f.suffixes}
"""Extension (lower case, with the dot) -> format name."""

SIGNATURE_ONLY_SUFFIXES: frozenset[str] = frozenset(
    s for f in IMPORT_FORMATS.values() if f.binary for s in f.suffixes
)


_MESH_ADVICE = "export it as glTF/GLB or OBJ from your 3D software"
_CLOUD_ADVICE = "export it as E57, LAS or PLY from your scanning software"

_NOT_READ_YET: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("FBX", (".fbx",), _MESH_ADVICE),
    ("3DS", (".3ds",), _MESH_ADVICE),
    ("Blender", (".blend",), _MESH_ADVICE),
    ("COLLADA (DAE)", (".dae",), _MESH_ADVICE),
    ("3MF", (".3mf",), _MESH_ADVICE),
    ("USD", (".usd", ".usda", ".usdc", ".usdz"), _MESH_ADVICE),
    ("IFC", (".ifc",), _MESH_ADVICE),
    ("X3D/VRML", (".x3d", ".x3db", ".x3dv", ".wrl", ".vrml"), _MESH_ADVICE),
    ("DXF", (".dxf",), _MESH_ADVICE),
    ("SketchUp (SKP)", (".skp",), _MESH_ADVICE),
    ("3ds Max", (".max",), _MESH_ADVICE),
    ("Cinema 4D", (".c4d",), _MESH_ADVICE),
    ("ReCap (RCP/RCS)", (".rcp", ".rcs"), _CLOUD_ADVICE),
    ("PTX", (".ptx",), _CLOUD_ADVICE),
)
NOT_SUPPORTED_YET: dict[str, tuple[str, str]] = {s: (name, advice) for name, suffixes, advice in _NOT_READ_YET
                                                 for s in suffixes}
"""Extension -> (format name, what to do): 3D formats people bring that the importer does not read
(none of them is in :data:`IMPORT_FORMATS`), so the message says so instead of "not a 3D scan"."""


def not_supported_yet(path: Path) -> str | None:
    """``"FBX is not supported yet: export it as glTF/GLB or OBJ from your 3D software"`` for a
    known 3D format the archive does not read; None for anything else."""
    known = NOT_SUPPORTED_YET.get(path.suffix.lower())
    return f"{known[0]} is not supported yet: {known[1]}" if known else None


def format_list() -> str:
    """``"PLY, OBJ, STL, …"``: the accepted formats for messages and documentation."""
    return ", ".join(f.label for f in IMPORT_FORMATS.values())


def dialog_patterns() -> str:
    """``"*.ply *.obj …"``: the accepted extensions for a file dialog's filter."""
    return " ".join(f"*{s}" for s in SCAN_SUFFIXES)
