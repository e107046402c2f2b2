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
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.errors import UsageError
from tf2rec.interactions import model_files
from tf2rec.interactions.model_files import CHECKPOINT_PREFIX

MARKER = "tf2rec-model.json"
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


def _refuse_to_replace(path: Path, shown: Path, option: str) -> None:
    """Raise unless `path` is a directory tf2rec may delete (`shown`: as the user wrote it)."""
    resolved = path.resolve()
    if resolved in (Path.cwd().resolve(), Path.home().resolve(), Path(resolved.anchor)):
        raise UsageError(
            f"{option} {shown} is the current, home or root directory; refusing to replace it"
        )
    if (resolved / ".git").exists():
        raise UsageError(f"{option} {shown} is a git work tree; refusing to replace it")
    if any(resolved.iterdir()) and not is_owned(resolved):
        raise UsageError(
            f"{option} {shown} holds files tf2rec did not write (no {MARKER}); refusing to "
            "delete them: choose another directory"
        )
    foreign = sorted(p.name for p in resolved.iterdir() if not _ours(p.name))
    if foreign:
        raise UsageError(
            f"{option} {shown} also holds {', '.join(foreign[:3])}, which tf2rec did not "
            "write; move them out first, or choose another directory"
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
    shown, path = path, Path(os.path.realpath(path))
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {shown} is a file; pass a directory")
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise UsageError(
                f"{option} {shown} is not empty; pass --overwrite to replace the model there "
                "(once the new one is complete), or choose another directory"
            )
        _refuse_to_replace(path, shown, option)
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
            f"{option} {shown}: an interrupted run with other settings is in {partial.name} "
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
        raise UsageError(f"cannot write {option} {shown}: {err.strerror}") from None
    return partial, False


def finish(partial: Path, path: Path, kind: str, settings: dict) -> None:
    """Mark the run complete and swap it in for the old model (deleted only afterwards)."""
    path = Path(os.path.realpath(path))
    write_atomically(partial / MARKER, _marker_text(kind, settings, complete=True))
    old = path.with_name(f".{path.name}.tf2rec-old")
    if old.exists():
        shutil.rmtree(old)
    if path.exists():
        os.replace(path, old)
    os.replace(partial, path)
    if old.exists():
        shutil.rmtree(old)


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
) -> Iterator[Run]:
    """The one way tf2rec writes a model directory: with its lock held, into the partial
    folder (`start`), swapped in at `path` when the block ends without an error (`finish`).
    `option` is how the user named `path`, for the messages."""
    path = Path(path)
    with lock(path, option):
        partial, resuming = start(path, overwrite, kind, settings, option, resume)
        yield Run(partial, resuming)
        finish(partial, path, kind, settings)


def _marker_text(kind: str, settings: dict, complete: bool) -> str:
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "kind": kind,
            "complete": complete,
            "settings": settings,
        },
        indent=2,
        sort_keys=True,
    )
