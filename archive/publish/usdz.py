"""USDZ for AR on iOS (Quick Look), made from an item's web GLB with Pixar's ``usd-core``.

The GLB is this archive's own output (already reduced to the web budget, y-up, in metres), so
it is read here with trimesh rather than in the isolated worker that reads masters. Each mesh
becomes a ``UsdGeom.Mesh`` with positions, normals and UVs in real metres, its base colour
(texture, factor or vertex colours) a ``UsdPreviewSurface``; the stage is packaged with
``UsdUtils.CreateNewARKitUsdzPackage`` and can be checked with :func:`check` (the validators
that usd-core's usdchecker runs). ``usd-core`` is optional (``pip install heritage-archive[publish]``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from archive.errors import ArchiveError


class UsdUnavailable(ArchiveError):
    """usd-core is not installed: pages are published without the iOS AR copy."""


class UsdzNotMade(ArchiveError):
    """The model cannot be shown in AR Quick Look (a point cloud, or no triangles)."""


def available() -> bool:
    try:
        import pxr  # noqa: F401
    except ImportError:
        return False
    return True


def _pxr() -> Any:
    try:
        from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt
    except ImportError as exc:
        raise UsdUnavailable("usd-core is not installed (pip install heritage-archive[publish]): "
                             "no USDZ for AR on iOS") from exc
    return Gf, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt


def _meshes(glb: Path) -> list[trimesh.Trimesh]:
    scene: Any = trimesh.load(glb, force="scene")
    meshes = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
    if not meshes:
        raise UsdzNotMade("the model has no surfaces (a point cloud?): AR Quick Look shows only meshes")
    return meshes


def write_usdz(glb: Path, target: Path) -> Path:
    """Write ``target`` (``.usdz``) from the web GLB ``glb``; returns ``target``.

    Raises :class:`UsdUnavailable` without usd-core and :class:`UsdzNotMade` for models that
    AR Quick Look cannot show."""
    Gf, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt = _pxr()
    meshes = _meshes(glb)
    with tempfile.TemporaryDirectory(prefix="heritage-usdz-") as tmp:
        work = Path(tmp)
        layer = work / "model.usdc"  # ARKit wants a binary root layer
        stage = Usd.Stage.CreateNew(str(layer))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)  # glTF and so the web GLB are in metres
        root = UsdGeom.Xform.Define(stage, "/Model")
        stage.SetDefaultPrim(root.GetPrim())
        for n, mesh in enumerate(meshes):
            path = f"/Model/Mesh_{n}"
            _write_mesh(stage, path, mesh, UsdGeom, Vt, Gf, Sdf)
            material = _write_material(stage, n, mesh, work, UsdShade, Sdf, Gf)
            UsdShade.MaterialBindingAPI.Apply(stage.GetPrimAtPath(path)).Bind(material)
        stage.GetRootLayer().Save()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        if not UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(target)):
            raise UsdzNotMade(f"usd-core could not package {target.name}")
    return target


def _write_mesh(stage: Any, path: str, mesh: trimesh.Trimesh, UsdGeom: Any, Vt: Any, Gf: Any, Sdf: Any) -> None:
    geom = UsdGeom.Mesh.Define(stage, path)
    vertices = np.asarray(mesh.vertices, dtype=np.float32)
    geom.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(vertices))
    geom.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(mesh.faces), 3, dtype=np.int32)))
    geom.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.asarray(mesh.faces, dtype=np.int32).ravel()))
    geom.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.asarray(mesh.vertex_normals, dtype=np.float32)))
    geom.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    geom.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    geom.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, low)), Gf.Vec3f(*map(float, high))]))
    primvars = UsdGeom.PrimvarsAPI(geom)
    uv = getattr(mesh.visual, "uv", None)
    if uv is not None and len(uv) == len(vertices):
        st = primvars.CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex)
        st.Set(Vt.Vec2fArray.FromNumpy(np.asarray(uv, dtype=np.float32)))  # trimesh: origin bottom-left, as USD
    elif _is_vertex_coloured(mesh):
        visual: Any = mesh.visual  # ColorVisuals: the check above
        colours = np.asarray(visual.vertex_colors, dtype=np.float32)[:, :3] / 255.0
        geom.CreateDisplayColorPrimvar(UsdGeom.Tokens.vertex).Set(Vt.Vec3fArray.FromNumpy(colours))


def _is_vertex_coloured(mesh: trimesh.Trimesh) -> bool:
    return getattr(mesh.visual, "kind", None) == "vertex"


def _base_colour(mesh: trimesh.Trimesh) -> tuple[Any, tuple[float, float, float]]:
    """(PIL image or None, RGB factor 0..1) of the mesh's glTF material."""
    material = getattr(mesh.visual, "material", None)
    image = getattr(material, "baseColorTexture", None) if material is not None else None
    factor = getattr(material, "baseColorFactor", None) if material is not None else None
    rgb = (0.8, 0.8, 0.8) if factor is None else tuple(float(x) / (255.0 if np.max(factor) > 1 else 1.0)
                                                       for x in list(factor)[:3])
    return image, rgb  # type: ignore[return-value]


def _write_material(stage: Any, n: int, mesh: trimesh.Trimesh, work: Path, UsdShade: Any, Sdf: Any,
                    Gf: Any) -> Any:
    material = UsdShade.Material.Define(stage, f"/Model/Materials/Material_{n}")
    surface = UsdShade.Shader.Define(stage, f"/Model/Materials/Material_{n}/Surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.7)
    surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    image, rgb = _base_colour(mesh)
    has_uv = getattr(mesh.visual, "uv", None) is not None
    if image is None or not has_uv:
        if _is_vertex_coloured(mesh):  # Quick Look multiplies nothing: display colours show as they are
            rgb = (1.0, 1.0, 1.0)
        surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*rgb))
        return material
    name = f"textures/base_{n}.png" if image.mode in ("RGBA", "LA", "P") else f"textures/base_{n}.jpg"
    (work / "textures").mkdir(exist_ok=True)
    image.convert("RGBA" if name.endswith(".png") else "RGB").save(work / name)
    reader = UsdShade.Shader.Define(stage, f"/Model/Materials/Material_{n}/UV")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
    texture = UsdShade.Shader.Define(stage, f"/Model/Materials/Material_{n}/BaseColour")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(name)
    texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(reader.ConnectableAPI(), "result")
    texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
    texture.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*rgb, 1.0))
    texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(texture.ConnectableAPI(), "rgb")
    return material


def check(usdz: Path) -> list[str]:
    """What usdchecker reports for ``usdz``: every registered USD validator (the usdz package
    rules, stage metadata, shading, geometry) run over the package; empty when it passes.

    usd-core 26 replaced the Python ``UsdUtils.ComplianceChecker`` (and its ``--arkit`` rules)
    by this validation framework, which is what its ``usdchecker`` runs."""
    _pxr()
    from pxr import Usd, UsdValidation

    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    stage = Usd.Stage.Open(str(usdz))
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    return [f"{e.GetIdentifier()}: {e.GetMessage()}" for e in errors]
