"""Languages of the user interface: Qt translation files (``translations/heritage_vi.qm``,
built from ``heritage_vi.ts`` by ``translations/update.py``) and the catalogue's own field
labels (``archive.fields`` holds them in English and Vietnamese).

Widgets set their texts in a ``retranslate()`` method and call it again on
``QEvent.LanguageChange``, which Qt sends to every widget when a translator is installed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QLibraryInfo, QLocale, QTranslator

from archive.fields import Field

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {"en": "English", "vi": "Tiếng Việt"}

# Values stored in the catalogue and the words shown for them.
VALUE_LABELS = {
    "relic": QT_TRANSLATE_NOOP("Values", "Relic"),
    "dish": QT_TRANSLATE_NOOP("Values", "Dish"),
    "other": QT_TRANSLATE_NOOP("Values", "Other"),
    "draft": QT_TRANSLATE_NOOP("Values", "Draft"),
    "reviewed": QT_TRANSLATE_NOOP("Values", "Reviewed"),
    "published": QT_TRANSLATE_NOOP("Values", "Published"),
    "real": QT_TRANSLATE_NOOP("Values", "Real food"),
    "replica": QT_TRANSLATE_NOOP("Values", "Replica"),
    "master": QT_TRANSLATE_NOOP("Values", "Master"),
    "processed": QT_TRANSLATE_NOOP("Values", "Processed"),
    "photo": QT_TRANSLATE_NOOP("Values", "Photo"),
}

_state = {"language": "en"}
_installed: list[QTranslator] = []


def current_language() -> str:
    return _state["language"]


def set_language(language: str) -> bool:
    """Install the translators for ``language`` ("en" or "vi"); every widget then receives
    ``QEvent.LanguageChange``. Returns False when the translation file is missing."""
    app = QCoreApplication.instance()
    for translator in _installed:
        if app is not None:
            app.removeTranslator(translator)
    _installed.clear()
    _state["language"] = language if language in LANGUAGE_NAMES else "en"
    QLocale.setDefault(QLocale(QLocale.Language.Vietnamese if language == "vi" else QLocale.Language.English))
    if language == "en" or app is None:
        _deliver(app)
        return language == "en"
    ok = False
    for name, folder in (
        (f"heritage_{language}", TRANSLATIONS),
        (f"qtbase_{language}", Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))),
    ):
        translator = QTranslator(app)
        if translator.load(name, str(folder)):
            app.installTranslator(translator)
            _installed.append(translator)
            ok = ok or name.startswith("heritage")
    _deliver(app)
    return ok


def _deliver(app: QCoreApplication | None) -> None:
    """Retranslate every widget now rather than at the next turn of the event loop."""
    if app is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)


def field_label(field: Field) -> str:
    """The catalogue field's label in the current language."""
    return field.label_vi if current_language() == "vi" else field.label_en


def value_label(value: str | None) -> str:
    """A stored choice value (kind, status…) as shown to the user."""
    if not value:
        return ""
    source = VALUE_LABELS.get(value)
    return QCoreApplication.translate("Values", source) if source else value


def tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)
