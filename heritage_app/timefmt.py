"""Times shown to people: the catalogue stores every time in UTC (ISO 8601, ``archive.records.now``)
so that a team spread over PCs and time zones agrees on the order of events; each person reads
them on their own clock, in the interface language's way of writing a date.

One function, ``local_time``, is used wherever the app shows a time (history, "Last changed by",
the changed-elsewhere bar, the conflict dialog, the catalogue's Updated column, a scan's import
time), so they all read alike.
"""

from __future__ import annotations

import re
from datetime import datetime

from PySide6.QtCore import QDateTime, QLocale, Qt, QTimeZone

_TWO_DIGIT_YEAR = re.compile(r"(?<!y)yy(?!y)")


def local_time(stamp: object) -> str:
    """``stamp`` (a time as the archive stores it: ISO 8601 in UTC, or a ``datetime``) in the
    user's time zone, written the interface language's way with a four-digit year:
    "11/30/2026 5:13 PM" in English, "30/11/2026 17:13" in Vietnamese. A time without an offset
    is taken as UTC (how the archive writes them). "" for no time; text that is not a time is
    returned as it is."""
    if stamp is None or stamp == "":
        return ""
    text = stamp.isoformat() if isinstance(stamp, datetime) else str(stamp).strip()
    moment = _parse(text)
    if moment is None:
        return text
    locale = QLocale()  # the interface language's (heritage_app.i18n.set_language sets the default)
    return locale.toString(moment.toLocalTime(), _format(locale))


def _parse(text: str) -> QDateTime | None:
    text = re.sub(r"(\.\d{3})\d+", r"\1", text)  # Python writes microseconds; Qt reads milliseconds
    for form in (Qt.DateFormat.ISODateWithMs, Qt.DateFormat.ISODate):
        moment = QDateTime.fromString(text.replace(" ", "T", 1), form)
        if moment.isValid():
            if moment.timeSpec() == Qt.TimeSpec.LocalTime:  # no offset written: the archive's UTC
                moment.setTimeZone(QTimeZone.utc())
            return moment
    return None


def _format(locale: QLocale) -> str:
    """The locale's short date (with the whole year: "26" reads as a day or a month) and time."""
    date = _TWO_DIGIT_YEAR.sub("yyyy", locale.dateFormat(QLocale.FormatType.ShortFormat))
    return f"{date} {locale.timeFormat(QLocale.FormatType.ShortFormat)}"
