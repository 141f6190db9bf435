"""Fixtures for viewer tests (no Qt). Real files come from ../shared/corpus."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import trimesh

from viewer.model import Model


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gl: needs an OpenGL context (headless EGL or X)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("gl") for item in items):
        return
    from viewer.renderer import legacy_available

    if legacy_available():
        return
    skip = pytest.mark.skip(reason="no OpenGL context: neither headless EGL nor an X display works here")
    for item in items:
        if item.get_closest_marker("gl"):
            item.add_marker(skip)


def to_model(tm: trimesh.Trimesh, units: str | None = "mm") -> Model:
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(tm.vertices, float)),
                                     o3d.utility.Vector3iVector(np.asarray(tm.faces, np.int32)))
    mesh.compute_vertex_normals()
    return Model(mesh, "mesh", units=units)


@pytest.fixture
def sphere_model() -> Model:
    """Unit-radius icosphere centred at (10, 0, 0), in millimetres."""
    tm = trimesh.creation.icosphere(subdivisions=5, radius=1.0)
    tm.apply_translation([10.0, 0.0, 0.0])
    return to_model(tm)


@pytest.fixture
def box_model() -> Model:
    """Box 40 x 20 x 10 mm centred at the origin."""
    return to_model(trimesh.creation.box(extents=[40.0, 20.0, 10.0]))
