"""The window while a team archive's catalogue server or shared folder is away (issue 13, faults).

Reads on the window's own connection fail with ``StorageError`` and a sentence for the user; the
window keeps what it has on screen (rows already read, the item shown, unsaved edits) and asks
again at the user's next action. After the server restarted, the first read on the old
connection only learns that it is gone, and the next one connects again: ``read_twice`` makes
that invisible for reads. Writes are never repeated here (the archive settles a write whose
answer was lost).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from archive import StorageError

T = TypeVar("T")
OFFLINE_S = 10.0  # after a read failed, rows not read yet wait this long before the server is asked again


def read_twice(read: Callable[[], T]) -> T:
    """``read()``, made once more when it raised ``StorageError`` (see the module's docstring);
    the second failure is raised."""
    try:
        return read()
    except StorageError:
        return read()
