"""``import open3d`` without Open3D's Plotly/Dash web viewer.

Open3D's ``open3d/visualization/__init__.py`` imports ``draw_plotly``, which imports Dash and
Plotly (and with them pydantic, IPython, werkzeug, requests: about 700 modules). That is more
than half of ``import open3d`` (1.6 s of 2.8 s on a loaded two-core machine) and lies on the
path to the viewer's first picture, though nothing here draws with Plotly.

:func:`defer_plotly_viewer` puts a stand-in for ``open3d.visualization.draw_plotly`` in
``sys.modules`` before Open3D is imported. Open3D's ``from .draw_plotly import draw_plotly``
then binds small functions that import the real module (Dash included) on their first call,
so ``open3d.visualization.draw_plotly(...)`` still works, only later.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

PLOTLY_MODULE = "open3d.visualization.draw_plotly"


class _DeferredPlotlyModule(types.ModuleType):
    """Stands for ``open3d.visualization.draw_plotly`` until one of its functions is called."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):  # __path__, __file__…: the import machinery's questions
            raise AttributeError(name)

        def call_real(*args: Any, **kwargs: Any) -> Any:
            return getattr(_real_module(), name)(*args, **kwargs)

        call_real.__name__ = call_real.__qualname__ = name
        return call_real


def _real_module() -> types.ModuleType:
    if not isinstance(sys.modules.get(PLOTLY_MODULE), _DeferredPlotlyModule):
        return importlib.import_module(PLOTLY_MODULE)
    del sys.modules[PLOTLY_MODULE]
    real = importlib.import_module(PLOTLY_MODULE)
    # Importing a submodule sets it as its package's attribute; Open3D's own import order
    # leaves the function there (``from .draw_plotly import draw_plotly`` comes after).
    package = sys.modules.get("open3d.visualization")
    if package is not None:
        package.draw_plotly = real.draw_plotly  # type: ignore[attr-defined]
    return real


def defer_plotly_viewer() -> None:
    """Make a later ``import open3d`` skip Dash and Plotly until Plotly drawing is used.
    Does nothing once Open3D is imported (its visualisation module is complete by then)."""
    if "open3d" not in sys.modules and PLOTLY_MODULE not in sys.modules:
        sys.modules[PLOTLY_MODULE] = _DeferredPlotlyModule(PLOTLY_MODULE)
