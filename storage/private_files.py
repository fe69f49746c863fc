"""Files that hold names and phone numbers (the SQLite database, backups) are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600


def create_private(path: Path, *, exclusive: bool = False) -> None:
    """Create ``path`` empty with mode 0600 whatever the umask, if it does not exist yet (``exclusive``:
    refuse if it does). SQLite gives the -wal and -shm files the mode of the database file."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    if not exclusive and path.exists():
        return
    fd = os.open(path, flags, PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)  # a umask such as 0277 would have taken the owner's own bits away
    finally:
        os.close(fd)
