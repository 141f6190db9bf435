"""Heritage & Cuisine 3D Archive: the desktop app and the command line."""

__version__ = "0.1.0"
