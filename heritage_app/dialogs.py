"""Small dialogs every window uses: errors a museum worker can act on (never a
traceback), the unsaved-changes prompt and About. Tests replace ``ask_unsaved`` and
``confirm`` with stubs, so no modal loop ever blocks a test."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from archive import ArchiveError
from archive.errors import DATABASE_ERRORS
from platform_support.locations import cache_dir, default_archive_dir, log_dir, log_file

from . import logs
from .i18n import value_label
from .timefmt import local_time

translate = QCoreApplication.translate  # the name pyside6-lupdate looks for

log = logging.getLogger(__name__)


def crash_log_path() -> Path:
    """The log file (shared with the command line) that unexpected errors are written to."""
    return log_file()


def friendly_message(exc: BaseException) -> str:
    """What to tell the user about ``exc``: the archive's own message (written for museum
    staff), a plain description of disk errors, or a pointer to the error log."""
    if isinstance(exc, ArchiveError):
        return str(exc)
    if isinstance(exc, PermissionError):
        return translate("Dialogs", "The system refused access to {path}. Check that the folder is writable.").format(
            path=exc.filename or ""
        )
    if isinstance(exc, FileNotFoundError):
        return translate("Dialogs", "{path} does not exist (was a drive disconnected?).").format(
            path=exc.filename or ""
        )
    if isinstance(exc, OSError):
        return translate("Dialogs", "The disk reported a problem: {reason}.").format(reason=exc.strerror or exc)
    if isinstance(exc, DATABASE_ERRORS):
        return translate(
            "Dialogs", "The catalogue database reported a problem: {reason}. Run Tools › Verify archive."
        ).format(reason=exc)
    return translate("Dialogs", "Something unexpected went wrong ({kind}). Details were written to {log}.").format(
        kind=type(exc).__name__, log=crash_log_path()
    )


def problem_message(problem: BaseException) -> str:
    """One validation problem in the user's language, from its ``code`` and ``params`` (the archive
    keeps its own messages in English); a code without a translation here shows the English reason."""
    code, params = getattr(problem, "code", ""), dict(getattr(problem, "params", {}) or {})
    say = _PROBLEMS.get(code)
    if say is not None:
        try:
            return say(params)
        except (KeyError, TypeError, ValueError):  # params not as expected: the English reason is still right
            pass
    return str(getattr(problem, "reason", problem))


def _range(p: dict) -> str:
    value, low, high = p.get("value"), p.get("minimum"), p.get("maximum")
    if low is not None and value is not None and value < low:
        if low == 0:
            return translate("Problems", "must not be negative")
        return translate("Problems", "must be at least {minimum}").format(minimum=f"{low:g}")
    return translate("Problems", "must be at most {maximum}").format(maximum=f"{high:g}")


_PROBLEMS: dict[str, Callable[[dict], str]] = {
    "required": lambda p: translate("Problems", "is required"),
    "too_long": lambda p: translate("Problems", "is longer than {maximum} characters").format(**p),
    "nul_character": lambda p: translate("Problems", "contains a NUL character"),
    "not_number": lambda p: (translate("Problems", "must be a whole number, not “{value}”") if p["whole"]
                             else translate("Problems", "must be a number, not “{value}”")).format(**p),
    "not_finite": lambda p: translate("Problems", "must be a finite number"),
    "range": _range,
    "not_yes_no": lambda p: translate("Problems", "must be yes or no, not “{value}”").format(**p),
    "not_list": lambda p: translate("Problems", "is not a valid list"),
    "not_a_choice": lambda p: translate("Problems", "must be one of {choices}, not “{value}”").format(
        choices=", ".join(value_label(c) for c in p["choices"]), value=p["value"]),
    "not_item_id": lambda p: translate("Problems", "must be an item of the archive, not “{value}”").format(**p),
    "not_date": lambda p: translate("Problems", "must be a date like 2024-05-17 (or 2024-05, 2024), not “{value}”")
    .format(**p),
    "unknown_term": lambda p: translate("Problems", "“{value}” is not in the vocabulary yet").format(**p),
    "term_exists": lambda p: translate("Problems", "“{value}” is already in the vocabulary").format(**p),
    "unknown_field": lambda p: translate("Problems", "is not a field of the catalogue"),
    "not_for_kind": lambda p: translate("Problems", "does not apply to items of kind {kind}").format(
        kind=value_label(p["kind"])),
    "title_required": lambda p: translate("Problems", "an item needs a title in Vietnamese or English"),
    "reversed_years": lambda p: translate("Problems", "the year range is reversed ({year_from} > {year_to})")
    .format(**p),
    "coordinates_pair": lambda p: translate("Problems", "latitude and longitude must be given together"),
    "unit_missing": lambda p: translate("Problems", "dimensions need a unit (mm, cm or m)"),
}


def show_error(parent: QWidget | None, title: str, error: BaseException | str) -> QMessageBox:
    """Show an error without blocking the caller (window-modal, opened not exec'd)."""
    text = error if isinstance(error, str) else friendly_message(error)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(_delete_on_close())
    if os.environ.get("HERITAGE_NO_DIALOGS"):
        log.warning("%s: %s", title, text)
        box.deleteLater()
        return box
    box.open()
    return box


def _delete_on_close():
    from PySide6.QtCore import Qt

    return Qt.WidgetAttribute.WA_DeleteOnClose


def ask_unsaved(parent: QWidget | None, what: str) -> str:
    """Ask what to do with unsaved edits of ``what``: "save", "discard" or "cancel"."""
    return ask_save_discard_cancel(
        parent, translate("Dialogs", "Unsaved changes"),
        translate("Dialogs", "The metadata of {item} has unsaved changes.").format(item=what),
        translate("Dialogs", "Save them before continuing?"), translate("Dialogs", "Discard changes"))


def ask_save_discard_cancel(parent: QWidget | None, title: str, text: str, question: str, discard: str) -> str:
    """A Save / ``discard`` / Cancel question (Save is the default): "save", "discard" or "cancel"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(question)
    save = box.addButton(translate("Dialogs", "Save"), QMessageBox.ButtonRole.AcceptRole)
    discard_button = box.addButton(discard, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(translate("Dialogs", "Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return "save" if clicked is save else "discard" if clicked is discard_button else "cancel"


class ConflictDialog(QMessageBox):
    """Someone else saved the same field(s) while the user was editing: show both values and
    let the user take theirs (reload) or keep their own (save again over the new version)."""

    def __init__(self, parent: QWidget | None, conflicts: list[dict[str, object]]):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(translate("Dialogs", "Changed by someone else"))
        self.setText(translate("Dialogs", "While you were editing, someone else saved the same field(s)."))
        line = translate("Dialogs", "{field}: changed by {agent} at {at}\n    saved: {theirs}\n    yours: {yours}")
        lines = [line.format(field=c["field"], agent=c["agent"], at=local_time(c["at"]),
                             theirs=_shown(c["theirs"]), yours=_shown(c["yours"])) for c in conflicts]
        self.setInformativeText("\n".join(lines))
        self.reload_button = self.addButton(translate("Dialogs", "Reload (take theirs)"),
                                            QMessageBox.ButtonRole.DestructiveRole)
        self.keep_button = self.addButton(translate("Dialogs", "Keep mine (save over theirs)"),
                                          QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton(translate("Dialogs", "Keep editing"), QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.cancel_button)

    def ask(self) -> str:
        """ "reload", "keep" or "cancel" (keep editing, nothing saved)."""
        self.exec()
        clicked = self.clickedButton()
        self.deleteLater()
        return "reload" if clicked is self.reload_button else "keep" if clicked is self.keep_button else "cancel"


def _shown(value: object) -> str:
    if value in (None, "", []):
        return "—"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("heritage-archive")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "0.1.0"


LICENCES = (
    ("Heritage & Cuisine 3D Archive", "MIT"),
    ("Qt 6 / PySide6", "LGPL-3.0"),
    ("Open3D", "MIT"),
    ("trimesh", "MIT"),
    ("NumPy, SciPy", "BSD-3-Clause"),
    ("sqlite-utils", "Apache-2.0"),
    ("SQLite", "Public domain"),
    ("Pillow", "MIT-CMU"),
)


def show_about(parent: QWidget | None) -> None:
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{lic}</td></tr>" for name, lic in LICENCES)
    text = (
        f"<h3>{translate('Dialogs', 'Heritage & Cuisine 3D Archive')}</h3>"
        f"<p>{translate('Dialogs', 'Version')} {app_version()}</p>"
        f"<p>{translate('Dialogs', 'A desktop archive for 3D scans of the cultural heritage and cuisine of Huế.')}</p>"
        f"<p><b>{translate('Dialogs', 'Licences')}</b></p><table>{rows}</table>"
    )
    QMessageBox.about(parent, translate("Dialogs", "About"), text)


def install_excepthook() -> None:
    """Unexpected errors: log the traceback to a file and show a plain message."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        # To the log file only (the "heritage" logger), its exception lines redacted (logs.RedactingFilter).
        logs.log.error("unexpected error", exc_info=(kind, exc, tb))
        from PySide6.QtWidgets import QApplication

        show_error(QApplication.activeWindow(), translate("Dialogs", "Unexpected error"), exc)

    sys.excepthook = hook


def open_log_folder() -> bool:
    """Show the log folder in the system's file manager (Help › Open the log folder)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def copy_bug_report(parent: QWidget | None, settings_location: str) -> str:
    """Put the versions, the per-user locations and the last 200 log lines on the clipboard
    (Help › Copy a bug report) and say so; returns the text."""
    from PySide6.QtWidgets import QApplication

    text = logs.bug_report({"Settings and recent archives": settings_location,
                            "Default archive": str(default_archive_dir()), "Cache": str(cache_dir())})
    QApplication.clipboard().setText(text)
    message = translate("Dialogs", "A bug report is on the clipboard: the program's versions and the last lines of "
                        "its log ({log}). It holds no catalogue values; paste it into your e-mail or issue and "
                        "read it before you send it.").format(log=log_file())
    box = QMessageBox(QMessageBox.Icon.Information, translate("Dialogs", "Bug report copied"), message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(_delete_on_close())
    if os.environ.get("HERITAGE_NO_DIALOGS"):
        box.deleteLater()
    else:
        box.open()
    return text
