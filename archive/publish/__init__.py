"""Publishing: web GLB under a budget, OBJ/PLY/STL, HTML pages, JSON-LD, BagIt, the static site.

No Qt, no viewer: posters come from a ``render_image(path, size) -> PNG`` callable.
Everything written is built from the public record (:mod:`archive.publish.public`).
"""

from .bagit import BagImport, export_bag, import_bag, import_bag_report
from .batch import BatchReport, ItemFailure, export_items
from .export import FORMATS, ExportResult, export_item, resolve_up_axis
from .glb import ValidationReport, validate, validator_available
from .profiles import PROFILES, BudgetNotReached, Profile, PublishError, ValidatorUnavailable, get_profile
from .public import public_record
from .site import SiteReport, build_site

__all__ = [
    "FORMATS", "PROFILES", "BagImport", "BatchReport", "BudgetNotReached", "ExportResult", "ItemFailure", "Profile",
    "PublishError", "SiteReport", "ValidationReport", "ValidatorUnavailable", "build_site", "export_bag",
    "export_item", "export_items", "get_profile", "import_bag", "import_bag_report", "public_record", "resolve_up_axis",
    "validate", "validator_available",
]
