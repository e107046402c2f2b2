"""The one writer of the files tf2rec writes: a reader sees the old contents or the new,
never half of either, and no output ever lands on one of the command's inputs.

Every file tf2rec writes (a fixed source file, a report, a baseline, a vocabulary, a model
directory's small files, a benchmark's plot) goes through `write_atomically`. What it does
depends on what the name is:

- a regular file (or a new name): the data goes to a temporary file in the same folder,
  which is then renamed over it. A kill, a crash or a full disk leaves the old file as it
  was and no temporary file behind;
- a symbolic link: the file it leads to is written so, and the link stays a link;
- a FIFO, a character device or a socket (`-o /dev/stdout`, `-o >(gzip > x)`): written
  directly, as a shell's `>` does; a rename would replace the device with a file.

`refuse_inputs` is the check a command runs before it reads or writes anything: an output
that names one of its inputs (a scanned source, the baseline read, a converted checkpoint)
is refused with one line naming it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from tf2rec.errors import UsageError

try:
    import resource
except ImportError:  # not on Windows: no file-size limit to check
    resource = None


def write_atomically(path: str | Path, data: str | bytes | Iterable[str]) -> None:
    """Replace (or create) `path` with `data`: bytes, or text (a string, or pieces of one written in
    turn) as UTF-8 with its line endings untouched. A link is written through to its target (the
    link kept); a FIFO or device is written directly. An existing file keeps its permission bits
    (and, where the writer may set them, its owner and group); a new one gets the usual
    0666 & ~umask. Raises OSError when the folder is missing or not writable, or the disk full."""
    try:
        status = os.stat(path)  # what the name leads to, through any link
    except FileNotFoundError:
        status = None
    if status is not None and _is_stream(status.st_mode):
        _write_directly(
            Path(path), data
        )  # by its name: /dev/stdout is a link only the kernel follows
    else:
        _replace(destination(path), data, status)


def destination(path: str | Path) -> Path:
    """The name `write_atomically` writes for `path`: the file a symbolic link (or a chain of
    them) leads to, which may not exist yet; `path` itself otherwise."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _is_stream(mode: int) -> bool:
    """A FIFO, character device or socket: a name that cannot be replaced by a rename."""
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _write_directly(path: Path, data: str | bytes | Iterable[str]) -> None:
    with open(path, "wb") as handle:
        for piece in _pieces(data):
            handle.write(piece)


def _pieces(data: str | bytes | Iterable[str]) -> Iterator[bytes]:
    if isinstance(data, bytes):
        yield data
    elif isinstance(data, str):
        yield data.encode("utf-8")
    else:
        for piece in data:
            yield piece.encode("utf-8")


def _replace(path: Path, data: str | bytes | Iterable[str], status: os.stat_result | None) -> None:
    if status is None:
        mode, owner = 0o666 & ~_umask(), None
    else:
        mode, owner = stat.S_IMODE(status.st_mode), (status.st_uid, status.st_gid)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tf2rec", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in _pieces(data):
                handle.write(piece)
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
def output_file(
    path: str | Path, *, inputs: Iterable[str | Path] = (), option: str | None = None
) -> Iterator[Path]:
    """Around the writing of a file the user named (a report, a baseline): an output that is one
    of `inputs` is refused first (`refuse_inputs`), its folder is created, and an OS error becomes
    the user's one line naming the file (`option`: how the user gave it, for that line)."""
    path = Path(path)
    refuse_inputs({option or "output": path}, inputs)
    output_name = f"{option} {path}" if option else str(path)
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        yield path
    except OSError as err:
        raise UsageError(f"cannot write {output_name}: {err.strerror or err}") from None


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two names are one file (links and hard links included); False when either is
    missing."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def refuse_inputs(outputs: dict[str, str | Path], inputs: Iterable[str | Path]) -> None:
    """Raise `UsageError` naming the first output (option -> path) that is one of `inputs`
    (files: the same file; an output whose link leads to one counts). Called before a command
    reads or writes anything, so a refused command changes nothing."""
    inputs = [Path(i) for i in inputs]
    for option, output in outputs.items():
        if output is None:
            continue
        for source in inputs:
            if same_file(destination(output), source):
                raise UsageError(
                    f"{option} {output} is also an input of this command ({source}); writing "
                    "it would replace what is read: choose another file"
                )


def ensure_room(folder: str | Path, total: int, largest: int, output_name: str) -> None:
    """Raise `UsageError` unless `folder`'s file system has `total` bytes free and this
    process may write a file of `largest` bytes (`ulimit -f`). For writers that cannot fail
    cleanly (h5py crashes the process on a full disk): checked before they start.
    `output_name`: the output as the user named it (`--out model.keras`), for the message."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < total:
        raise UsageError(
            f"not enough room to write {output_name}: it needs about {_size(total)}, its file "
            f"system has {_size(free)} free; free some space and run again"
        )
    check_file_size_limit(largest, output_name)


def check_file_size_limit(largest: int, output_name: str) -> None:
    """Raise `UsageError` unless this process may write a file of `largest` bytes (`ulimit
    -f`): past it a write fails with EFBIG, which some writers (h5py) do not survive."""
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0] if resource else -1
    if limit != getattr(resource, "RLIM_INFINITY", -1) and 0 <= limit < largest:
        raise UsageError(
            f"cannot write {output_name}: one of its files needs about {_size(largest)}, more than "
            f"this process may write ({_size(limit)}, `ulimit -f`); raise the limit and run again"
        )


def _size(count: int) -> str:
    return f"{count / 2**20:,.1f} MiB" if count >= 2**20 else f"{count:,} bytes"


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
