"""What importing the viewer costs: the modules on the path to a first picture (issue 12).

Each check runs in a fresh interpreter: what one test imports would hide what another needs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _fresh(code: str, timeout: int = 300) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON object as its last line."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


LOADED = "import json, sys; print(json.dumps({m: m in sys.modules for m in %r}))"


def test_first_picture_path_imports_open3d_without_dash_or_trimesh():
    """A picture from levels needs Open3D, not Open3D's Plotly viewer (Dash, ~1.5 s) nor the
    file readers' trimesh and SciPy (~1.5 s)."""
    code = ("from viewer import ViewerSession, default_service\n"
            "from viewer.level_files import load_level\n"
            "from viewer.lod import moving_copies\n"
            "from viewer.picking import IndexPicker\n"
            "from viewer.streaming import LevelStream\n"
            + LOADED % ["open3d", "dash", "plotly", "trimesh", "scipy"])
    loaded = _fresh(code)
    assert loaded == {"open3d": True, "dash": False, "plotly": False, "trimesh": False, "scipy": False}


def test_trimesh_is_imported_when_a_gltf_is_read(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    glb = tmp_path / "box.glb"
    trimesh.creation.box().export(glb)
    code = ("import sys, json\nfrom viewer.readers import read_with_trimesh\n"
            "before = 'trimesh' in sys.modules\n"
            f"mesh = read_with_trimesh(__import__('pathlib').Path({str(glb)!r}))\n"
            "print(json.dumps({'before': before, 'after': 'trimesh' in sys.modules,"
            " 'triangles': len(mesh.triangles)}))\n")
    assert _fresh(code) == {"before": False, "after": True, "triangles": 12}


def test_open3d_plotly_drawing_still_works_when_called():
    """The deferred Plotly module is the real one on first use; the package attribute stays the
    function (Open3D's own import order) so it can be called again."""
    code = (
        "import viewer, open3d as o3d, sys, json\n"
        "before = 'dash' in sys.modules\n"
        "mesh = o3d.geometry.TriangleMesh.create_box()\n"
        "fig = o3d.visualization.get_plotly_fig([mesh], width=100, height=100)\n"
        "again = o3d.visualization.get_plotly_fig([mesh], width=100, height=100)\n"
        "print(json.dumps({'dash_before': before, 'dash_after': 'dash' in sys.modules,"
        " 'figure': type(fig).__name__, 'again': type(again).__name__,"
        " 'draw_plotly_callable': callable(o3d.visualization.draw_plotly)}))\n"
    )
    assert _fresh(code) == {"dash_before": False, "dash_after": True, "figure": "Figure", "again": "Figure",
                            "draw_plotly_callable": True}


def test_open3d_imported_before_the_viewer_is_left_whole():
    code = ("import open3d, viewer, sys, json\n"
            "print(json.dumps({'dash': 'dash' in sys.modules, 'stand_in': type(sys.modules["
            "'open3d.visualization.draw_plotly']).__name__}))\n")
    assert _fresh(code) == {"dash": True, "stand_in": "module"}


@pytest.mark.parametrize("first", ["viewer.readers", "viewer.loading", "viewer.session"])
def test_viewer_convert_is_the_unit_conversion_whatever_was_imported_first(first):
    """``viewer.convert`` (the public unit conversion) shares its name with the trimesh → Open3D
    submodule, which the lazy package may import after the name was looked up."""
    code = (f"import {first}\nfrom viewer import convert\nimport viewer, sys, json\n"
            "module = sys.modules['viewer.convert']\n"
            "print(json.dumps({'value': convert(1.0, 'm', 'mm'), 'attribute': viewer.convert is convert,"
            " 'module': hasattr(module, 'scene_to_o3d')}))\n")
    assert _fresh(code) == {"value": 1000.0, "attribute": True, "module": True}


def test_every_public_name_resolves():
    code = ("import json, viewer\n"
            "missing = [n for n in viewer.__all__ if getattr(viewer, n, None) is None]\n"
            "missing += sorted(set(viewer.__all__) ^ set(viewer._MODULE_OF))\n"
            "print(json.dumps({'missing': missing, 'dir': set(viewer.__all__) <= set(dir(viewer))}))\n")
    assert _fresh(code) == {"missing": [], "dir": True}
