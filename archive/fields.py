"""The catalogue's fields, defined once.

Validation, CSV columns, BagIt records, the app's editor and the publishing allowlist all read
this table. The catalogue's schema does not: its migrations are fixed steps. A new field is:

1. one ``Field(...)`` line appended to ``ITEM_FIELDS`` (or ``ASSET_FIELDS``) here, and
2. one new migration at the end of ``archive/schema.py`` adding its column, e.g.::

       @migrations(name="005_item_glaze_colour")
       def _item_glaze_colour(db: Database) -> None:
           db.execute("ALTER TABLE items ADD COLUMN glaze_colour TEXT")

   (never edit a shipped migration; new and old archives both reach the column through it).

Both labels live on the ``Field``; ``private=True`` keeps it out of everything published and
``searchable=True`` puts it in full-text search.

tests/archive/test_migrations.py adds a field exactly this way.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_KINDS = frozenset({"relic", "dish", "other"})
RELIC = frozenset({"relic"})
DISH = frozenset({"dish"})

# type: text | longtext | int | float | bool | list | choice | link | date
@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label_en: str
    label_vi: str
    kinds: frozenset[str] = ALL_KINDS
    private: bool = False
    choices: tuple[str, ...] = ()
    vocabulary: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    searchable: bool = False


ITEM_FIELDS: tuple[Field, ...] = (
    Field("accession", "text", "Accession number", "Số đăng ký", searchable=True),
    Field("kind", "choice", "Kind", "Loại", choices=("relic", "dish", "other")),
    Field("title_vi", "text", "Title (Vietnamese)", "Tên (tiếng Việt)", searchable=True),
    Field("title_en", "text", "Title (English)", "Tên (tiếng Anh)", searchable=True),
    Field("other_names", "list", "Other names", "Tên gọi khác", searchable=True),
    Field("description_vi", "longtext", "Description (Vietnamese)", "Mô tả (tiếng Việt)", searchable=True),
    Field("description_en", "longtext", "Description (English)", "Mô tả (tiếng Anh)", searchable=True),
    Field("collections", "list", "Collections", "Bộ sưu tập", searchable=True),
    Field("tags", "list", "Tags", "Thẻ", searchable=True),
    Field("place_name", "text", "Place", "Địa điểm", searchable=True),
    Field("place_lat", "float", "Latitude", "Vĩ độ", minimum=-90, maximum=90),
    Field("place_lon", "float", "Longitude", "Kinh độ", minimum=-180, maximum=180),
    Field("place_sensitive", "bool", "Coordinates are sensitive", "Tọa độ cần bảo mật"),
    Field("period", "text", "Period", "Thời kỳ", vocabulary="periods", searchable=True),
    Field("date_text", "text", "Date", "Niên đại"),
    Field("year_from", "int", "Year from", "Từ năm", minimum=-5000, maximum=2200),
    Field("year_to", "int", "Year to", "Đến năm", minimum=-5000, maximum=2200),
    Field("culture", "text", "Culture", "Văn hóa", searchable=True),
    Field("creator", "text", "Creator", "Tác giả", searchable=True),
    Field("object_rights", "text", "Rights (object)", "Quyền (hiện vật)"),
    Field("model_licence", "text", "Licence (3D model)", "Giấy phép (mô hình 3D)", vocabulary="licences"),
    Field("model_credit", "text", "Credit (3D model)", "Ghi công (mô hình 3D)"),
    Field("status", "choice", "Status", "Trạng thái", choices=("draft", "reviewed", "published")),
    Field("private_notes", "longtext", "Private notes", "Ghi chú nội bộ", private=True),
    Field("storage_location", "text", "Storage location", "Vị trí kho", private=True),
    Field("donor_contact", "text", "Donor / contact", "Người hiến tặng / liên hệ", private=True),
    # Relics
    Field("object_type", "text", "Object type", "Loại hiện vật", RELIC, searchable=True),
    Field("materials", "list", "Materials", "Chất liệu", RELIC, vocabulary="materials", searchable=True),
    Field("techniques", "list", "Techniques", "Kỹ thuật", RELIC, searchable=True),
    Field("height", "float", "Height", "Chiều cao", RELIC, minimum=0),
    Field("width", "float", "Width", "Chiều rộng", RELIC, minimum=0),
    Field("depth", "float", "Depth", "Chiều sâu", RELIC, minimum=0),
    Field("dimension_unit", "choice", "Dimension unit", "Đơn vị kích thước", RELIC, choices=("mm", "cm", "m")),
    Field("weight_kg", "float", "Weight (kg)", "Khối lượng (kg)", RELIC, minimum=0),
    Field("inscriptions", "longtext", "Inscriptions", "Minh văn", RELIC, searchable=True),
    Field("provenance", "longtext", "Provenance / acquisition", "Nguồn gốc / thu nhận", RELIC),
    Field("condition", "text", "Condition", "Tình trạng", RELIC),
    Field("current_location", "text", "Current location", "Nơi trưng bày", RELIC),
    # Dishes
    Field("culinary_line", "text", "Culinary line", "Dòng ẩm thực", DISH, vocabulary="culinary_lines", searchable=True),
    Field("region", "text", "Region", "Vùng miền", DISH, searchable=True),
    Field("ingredients", "list", "Ingredients", "Nguyên liệu", DISH, searchable=True),
    Field("steps", "list", "Preparation steps", "Các bước chế biến", DISH),
    Field("cooking_method", "text", "Cooking method", "Cách nấu", DISH, searchable=True),
    Field("occasions", "list", "Occasions", "Dịp dùng", DISH, searchable=True),
    Field("prep_minutes", "int", "Preparation time (min)", "Thời gian sơ chế (phút)", DISH, minimum=0, maximum=100_000),
    Field("cook_minutes", "int", "Cooking time (min)", "Thời gian nấu (phút)", DISH, minimum=0, maximum=100_000),
    Field("yield_text", "text", "Yield", "Khẩu phần", DISH),
    Field("practitioner", "text", "Practitioner / cook", "Nghệ nhân / đầu bếp", DISH, searchable=True),
    Field("specimen", "choice", "Real food or replica", "Món thật hay mô hình", DISH, choices=("real", "replica")),
    Field("serving_vessel", "link", "Serving vessel (relic)", "Đồ đựng (hiện vật)", DISH),
)

ASSET_FIELDS: tuple[Field, ...] = (
    Field("role", "choice", "Role", "Vai trò", choices=("master", "processed", "photo", "other")),
    Field("label", "text", "Label", "Nhãn"),
    Field("units", "choice", "Model units", "Đơn vị mô hình", choices=("mm", "cm", "m", "in")),
    Field("up_axis", "choice", "Up axis of the model", "Trục hướng lên của mô hình",
          choices=("y", "z", "x", "-y", "-z", "-x")),  # glbtools.frames.UP_AXES; a test keeps them equal
    Field("capture_method", "text", "Capture method", "Phương pháp thu nhận", vocabulary="capture_methods"),
    Field("capture_device", "text", "Capture device", "Thiết bị"),
    Field("capture_date", "date", "Capture date", "Ngày thu nhận"),
    Field("operator", "text", "Operator", "Người thực hiện"),
    Field("software", "text", "Software", "Phần mềm"),
    Field("software_version", "text", "Software version", "Phiên bản phần mềm"),
    Field("scale_reference", "text", "Scale reference", "Thước tham chiếu"),
    Field("accuracy_mm", "float", "Accuracy (mm)", "Độ chính xác (mm)", minimum=0),
)

ITEM_FIELD = {f.name: f for f in ITEM_FIELDS}
ASSET_FIELD = {f.name: f for f in ASSET_FIELDS}
LIST_FIELDS = frozenset(f.name for f in ITEM_FIELDS if f.type == "list")
PRIVATE_FIELDS = frozenset(f.name for f in ITEM_FIELDS if f.private)
PUBLIC_ITEM_FIELDS = tuple(f.name for f in ITEM_FIELDS if not f.private)
SEARCHABLE_FIELDS = tuple(f.name for f in ITEM_FIELDS if f.searchable)
