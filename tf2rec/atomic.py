"""Write a file so that a reader sees the old contents or the new, never half of either.

Every file tf2rec writes over something (a fixed source file, a report, a baseline, a
vocabulary) goes through `write_atomically`: the text goes to a temporary file in the same
folder, which is then renamed over the target. A crash or a full disk leaves the old file as
it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from tf2rec.errors import UsageError


def write_atomically(path: str | Path, data: str | bytes | Iterable[str]) -> None:
    """Replace (or create) `path` with `data`: bytes, or text (a string, or pieces of one written in
    turn) as UTF-8 with its line endings untouched. An existing file keeps its permission bits (and,
    where the writer may set them, its owner and group); a new one gets the usual 0666 & ~umask.
    Raises OSError when the folder is missing or not writable."""
    path = Path(path)
    try:
        status = path.stat()
        mode, owner = stat.S_IMODE(status.st_mode), (status.st_uid, status.st_gid)
    except FileNotFoundError:
        mode, owner = 0o666 & ~_umask(), None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tf2rec", dir=path.parent)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.writelines([data] if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        if owner is not None and owner != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, *owner)
            except PermissionError:
                pass  # only root may give a file away: it stays the writer's, as `cp` does
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def output_file(path: str | Path) -> Iterator[Path]:
    """Around the writing of a file the user named (a report, a baseline): its folder is
    created, and an OS error becomes the user's one line naming the file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def _umask() -> int:
    """The process's umask: from /proc where there is one (reading it through `os.umask`
    sets it for a moment, which another thread could see)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
