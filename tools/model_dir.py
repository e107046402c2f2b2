"""Model directories that tf2rec owns: it replaces or deletes only what it wrote.

A model directory carries a marker file (`tf2rec-model.json`: format, version, kind, the
run's settings). A run writes into a sibling `.<name>.tf2rec-partial` directory, marked as
well, and the finished model is swapped in only when complete, so a failed run leaves the
old model as it was; an interrupted run's partial directory is where the same command
resumes. `--overwrite` replaces only a marked directory (or an empty one), never `.`, the
home directory, a git work tree, or a directory holding anything else. One run at a time
per directory: a lock file names the process that holds it; a dead holder's lock is taken
over.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.errors import UsageError
from tf2rec.interactions import model_files
from tf2rec.interactions.model_files import CHECKPOINT_PREFIX, MARKER_FILE

MARKER = MARKER_FILE
# every file or folder name tf2rec writes into a model directory
OURS = {
    MARKER,
    "checkpoint",  # the TF1 Saver's index of its checkpoints
    *(value for name, value in vars(model_files).items() if name.isupper()),
}
FORMAT = "tf2rec model directory"
VERSION = 1


def _read_marker(folder: Path) -> dict | None:
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if isinstance(marker, dict) and marker.get("format") == FORMAT:
        return marker
    return None


def is_owned(folder: Path) -> bool:
    """Whether tf2rec wrote `folder` (it holds a valid marker)."""
    return _read_marker(folder) is not None


def partial_of(path: str | Path) -> Path:
    """The folder a run into `path` writes until it is complete (where it resumes), beside
    the directory `path` names once links are followed."""
    path = Path(os.path.realpath(path))
    return path.with_name(f".{path.name}.tf2rec-partial")


def _refuse_to_replace(path: Path, as_given: Path, option: str) -> None:
    """Raise unless `path` is a directory tf2rec may delete (`as_given`: as the user wrote it)."""
    resolved = path.resolve()
    if (resolved / ".git").exists():
        raise UsageError(f"{option} {as_given} is a git work tree; refusing to replace it")
    if any(resolved.iterdir()) and not is_owned(resolved):
        raise UsageError(
            f"{option} {as_given} holds files tf2rec did not write (no {MARKER}); refusing to "
            "delete them: choose another directory"
        )
    foreign = sorted(p.name for p in resolved.iterdir() if not _ours(p.name))
    if foreign:
        raise UsageError(
            f"{option} {as_given} also holds {', '.join(foreign[:3])}, which tf2rec did not "
            "write; move them out first, or choose another directory"
        )


def _refuse_special(path: Path, as_given: Path, option: str) -> None:
    """The current, home or root directory is never a model directory, even empty: the swap
    would rename the folder a shell stands in."""
    resolved = path.resolve()
    try:
        home = Path.home().resolve()
    except (KeyError, RuntimeError):  # HOME unset and no passwd entry
        home = None
    if resolved in (Path.cwd().resolve(), home, Path(resolved.anchor)):
        raise UsageError(
            f"{option} {as_given} is the current, home or root directory; refusing to replace it"
        )


def _ours(name: str) -> bool:
    """A name tf2rec writes into a model directory (model_files, the marker, checkpoints)."""
    return (
        name in OURS
        or name.startswith(CHECKPOINT_PREFIX + ".")
        or name.startswith(CHECKPOINT_PREFIX + "-")
    )


@contextlib.contextmanager
def lock(path: Path, option: str = "--model-dir"):
    """Hold `path`'s lock while the block runs; refuse while a live process holds it."""
    path = Path(os.path.realpath(path))
    lock_file = path.with_name(f".{path.name}.tf2rec-lock")
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create {option} {path}: {err.strerror}") from None
    for _ in range(2):
        try:
            fd = os.open(lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(lock_file)
            if holder is not None and _alive(holder):
                raise UsageError(
                    f"{option} {path} is in use by another tf2rec run (process {holder}); "
                    "wait for it to end, or choose another directory"
                ) from None
            lock_file.unlink(missing_ok=True)  # its holder is gone: take it over
            continue
        except OSError as err:
            raise UsageError(f"cannot lock {option} {path}: {err.strerror}") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    else:
        raise UsageError(f"cannot lock {option} {path}: another run took it meanwhile")
    try:
        yield
    finally:
        lock_file.unlink(missing_ok=True)


def _holder(lock_file: Path) -> int | None:
    try:
        return int(lock_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def start(
    path: Path,
    overwrite: bool,
    kind: str,
    settings: dict,
    option: str = "--model-dir",
    resume: bool = True,
):
    """Where a run of `settings` writes (the partial directory), and whether it resumes an
    interrupted run of the same settings (never, with `resume=False`: it starts over).
    Call with the lock held."""
    as_given, path = path, Path(os.path.realpath(path))
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {as_given} is a file; pass a directory")
    _refuse_special(path, as_given, option)
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise UsageError(
                f"{option} {as_given} is not empty; pass --overwrite to replace the model there "
                "(once the new one is complete), or choose another directory"
            )
        _refuse_to_replace(path, as_given, option)
    partial = partial_of(path)
    marker = _read_marker(partial) if partial.is_dir() else None
    if marker is not None and resume and not overwrite:
        stored = marker.get("settings", {})
        changed = [
            key
            for key in sorted(set(stored) | set(settings))
            if stored.get(key) != settings.get(key)
        ]
        if not changed:
            return partial, True
        key = changed[0]
        raise UsageError(
            f"{option} {as_given}: an interrupted run with other settings is in {partial.name} "
            f"({key} was {stored.get(key)!r}, now {settings.get(key)!r}); rerun with its "
            "settings to resume it, or pass --overwrite to start over"
        )
    if partial.exists():
        if marker is None and any(partial.iterdir()):
            raise UsageError(f"{partial} holds files tf2rec did not write; remove it yourself")
        shutil.rmtree(partial)
    try:
        partial.mkdir(parents=True)
        write_atomically(partial / MARKER, _marker_text(kind, settings, complete=False))
    except OSError as err:
        raise UsageError(f"cannot write {option} {as_given}: {err.strerror}") from None
    return partial, False


def finish(partial: Path, path: Path, kind: str, settings: dict) -> None:
    """Mark the run complete (with the checksums of its vocabulary and item counts) and swap
    it in for the old model, which is deleted only afterwards."""
    path = Path(os.path.realpath(path))
    write_atomically(
        partial / MARKER,
        _marker_text(kind, settings, complete=True, checksums=_checksums(partial)),
    )
    old = old_of(path)
    if old.exists():
        shutil.rmtree(old)
    if not path.exists():
        os.replace(partial, path)
    elif exchange(partial, path):  # atomic: `path` holds the new model, `partial` the old
        os.replace(partial, old)
    else:  # two steps: `recover` finishes them after a kill between them
        os.replace(path, old)
        os.replace(partial, path)
    if old.exists():
        shutil.rmtree(old)


def old_of(path: Path) -> Path:
    """Where the replaced model waits while it is deleted."""
    return path.with_name(f".{path.name}.tf2rec-old")


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two directories in one atomic step (`renameat2(RENAME_EXCHANGE)`); False where
    the C library or the file system has no such call."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def recover(path: str | Path) -> list[str]:
    """Put right what a swap killed half-way left at `path`: the new model at `path`, the old
    one deleted. Returns one line per thing done (empty when nothing was left over). Does
    nothing while a live run holds the directory's lock."""
    path = Path(os.path.realpath(path))
    partial, old = partial_of(path), old_of(path)
    if not (old.exists() or _complete(partial)) or _locked(path):
        return []
    done = []
    if _complete(partial):
        if _complete(path) and _finished_at(path) >= _finished_at(partial):
            shutil.rmtree(partial)
            done.append(
                f"removed {partial.name}, the model {path} replaced (its swap was interrupted)"
            )
        else:
            if path.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
            os.replace(partial, path)
            done.append(
                f"finished an interrupted swap: the completed model in {partial.name} is now {path}"
            )
    elif old.exists() and not path.exists():
        os.replace(old, path)
        done.append(f"restored {path} from {old.name}, where an interrupted swap left it")
    if old.exists():
        shutil.rmtree(old)
        done.append(f"removed {old.name}, the model an interrupted swap replaced")
    return done


def _complete(folder: Path) -> bool:
    marker = _read_marker(folder) if folder.is_dir() else None
    return bool(marker and marker.get("complete"))


def _finished_at(folder: Path) -> int:
    marker = _read_marker(folder) or {}
    value = marker.get("finished_at", 0)
    return value if isinstance(value, int) else 0


def _locked(path: Path) -> bool:
    holder = _holder(path.with_name(f".{path.name}.tf2rec-lock"))
    return holder is not None and holder != os.getpid() and _alive(holder)


def _checksums(folder: Path) -> dict:
    """The checksums of the vocabulary and item counts in `folder` (those it holds)."""
    from tf2rec.interactions import identity, load_vocabs
    from tf2rec.interactions.model_files import USER_ITEMS_FILE, VOCAB_FILE
    from tf2rec.interactions.user_items import load_user_items, user_items_path

    checksums = {}
    if (folder / VOCAB_FILE).is_file():
        checksums[VOCAB_FILE] = identity.vocab_checksum(*load_vocabs(folder))
    if user_items_path(folder) is not None:
        checksums[USER_ITEMS_FILE] = identity.popularity_checksum(load_user_items(folder)[1])
    return checksums


def _to_stderr(line: str) -> None:
    print(f"tf2rec: {line}", file=sys.stderr)


@dataclass(frozen=True)
class Run:
    """A run writing a model directory: the folder it writes into until it is complete, and
    whether it resumes an interrupted run of the same settings."""

    partial: Path
    resuming: bool


@contextlib.contextmanager
def writing(
    path: str | Path,
    *,
    kind: str,
    settings: dict,
    overwrite: bool = False,
    resume: bool = True,
    option: str = "--model-dir",
    announce: Callable[[str], None] = _to_stderr,
) -> Iterator[Run]:
    """The one way tf2rec writes a model directory: with its lock held, the leftovers of an
    interrupted swap put right (`recover`, each line announced), into the partial folder
    (`start`), swapped in at `path` when the block ends without an error (`finish`).
    `option` is how the user named `path`, for the messages."""
    path = Path(path)
    with lock(path, option):
        for line in recover(path):
            announce(line)
        partial, resuming = start(path, overwrite, kind, settings, option, resume)
        try:
            yield Run(partial, resuming)
            finish(partial, path, kind, settings)
        except Exception as err:
            failed = failed_write(err, partial)
            if failed is None:
                raise
            shutil.rmtree(partial, ignore_errors=True)  # nothing partial left
            raise UsageError(_write_failure_line(option, path, *failed)) from None


# errno -> what to do about it (a write into the model directory that failed)
_WRITE_ERRORS = {
    errno.ENOSPC: "free some space there or choose another directory",
    errno.EDQUOT: "free some space there or choose another directory",
    errno.EFBIG: "raise the file-size limit (`ulimit -f`) and run again",
    errno.EACCES: "fix the permissions there or choose another directory",
    errno.EPERM: "fix the permissions there or choose another directory",
    errno.EROFS: "choose a directory on a writable file system",
}
_REASONS = {os.strerror(code): code for code in _WRITE_ERRORS}


def failed_write(err: BaseException, partial: Path) -> tuple[str, int] | None:
    """(the file, the errno) when `err` is a failed write into the run's folder: an OSError,
    or a TensorFlow error (its writers raise tf.errors classes) whose message names a file
    under `partial` followed by the system's reason; None for any other error."""
    if isinstance(err, OSError):
        if err.errno not in _WRITE_ERRORS:
            return None
        return str(err.filename or partial), err.errno
    text = str(getattr(err, "message", "") or err)
    folder = re.escape(str(Path(os.path.realpath(partial))))
    for match in re.finditer(rf"({folder}/[^;\n]*?)(?:\.tempstate\d+)?; ([^\n\[]+)", text):
        code = _REASONS.get(match.group(2).strip())
        if code is not None:
            return match.group(1), code
    return None


def _write_failure_line(option: str, path: Path, filename: str, code: int) -> str:
    head = (
        f"no space left on the device writing {filename}"
        if code in (errno.ENOSPC, errno.EDQUOT)
        else f"cannot write {filename} ({os.strerror(code)})"
    )
    return (
        f"{option} {path}: {head}; nothing was written (the old model, if any, is unchanged): "
        f"{_WRITE_ERRORS[code]}"
    )


def _marker_text(kind: str, settings: dict, complete: bool, checksums: dict | None = None) -> str:
    marker = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "complete": complete,
        "settings": settings,
    }
    if complete:  # which of two complete models is the newer one, for `recover`
        marker["finished_at"] = time.time_ns()
        marker["checksums"] = checksums or {}
    return json.dumps(
        marker,
        indent=2,
        sort_keys=True,
    )
