"""A baseline: the findings a project has accepted for now, so that a scan with it reports
only new ones (adopt the scanner on an old code base, fail CI on what gets added).

A finding is known by its fingerprint (`finding.fingerprinted`), which survives unrelated
edits. A release that moves findings (version 2: renamed keywords are reported at the
keyword, not at the call) changes their fingerprints; a baseline written before is still
read, with a note that says to write it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from tf2rec.atomic import write_atomically
from tf2rec.errors import UsageError

VERSION = 2
# older versions still read, each with what changed since
OLDER = {1: "renamed keywords and dropout's keep probability are now found at the argument"}


class BaselineError(UsageError, ValueError):
    """A baseline file that cannot be read (not JSON, another version, another tool's)."""


class Baseline(NamedTuple):
    """The fingerprints a baseline holds; `note` says why some may no longer match (a
    baseline an older tf2rec wrote), None when they all do."""

    fingerprints: frozenset[str]
    note: str | None = None


def write(path: str | Path, findings) -> int:
    """Record the fingerprints of `findings` in `path`; return how many. A file there that is
    not a baseline is refused (`check_replaceable`)."""
    check_replaceable(path)
    prints = sorted({f.fingerprint for f in findings})
    write_atomically(
        Path(path), json.dumps({"version": VERSION, "fingerprints": prints}, indent=2) + "\n"
    )
    return len(prints)


def check_replaceable(path: str | Path, option: str = "--baseline") -> None:
    """Raise unless `path` is missing or a baseline tf2rec wrote: a baseline is written over
    only a baseline, never over a source file or anything else the user named by mistake."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    try:
        read(path)
    except BaselineError:
        raise BaselineError(
            f"{option} {path} exists and is not a baseline tf2rec wrote; refusing to replace "
            "it: name a new file, or delete that one if it is an old baseline"
        ) from None


def read(path: str | Path) -> Baseline:
    path = Path(path)
    try:
        payload = json.loads(_read_small_file(path))
        version = payload.get("version")
        if version != VERSION and version not in OLDER:
            raise ValueError(f"version {version!r}, expected {VERSION}")
        prints = frozenset(payload["fingerprints"])
    except BaselineError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        raise BaselineError(
            f"{path}: not a tf2rec baseline ({err}); delete it to write a new one"
        ) from None
    if version == VERSION:
        return Baseline(prints)
    return Baseline(
        prints,
        f"baseline {path} was written by an older tf2rec (version {version}): "
        f"{OLDER[version]}, so those findings may show as new; run the scan with "
        "--update-baseline to record them again",
    )


# A baseline holds one short fingerprint per finding: far below this even for a large tree.
MAX_BASELINE_BYTES = 64 * 2**20


def _read_small_file(path: Path) -> str:
    """The text of a regular file of at most MAX_BASELINE_BYTES: a FIFO, a device or a
    terminal would block or never end (`--baseline /dev/zero`)."""
    if path.exists() and not path.is_file():
        raise BaselineError(f"{path}: not a regular file; a baseline is a JSON file tf2rec writes")
    with path.open("rb") as handle:
        data = handle.read(MAX_BASELINE_BYTES + 1)
    if len(data) > MAX_BASELINE_BYTES:
        raise ValueError(f"larger than {MAX_BASELINE_BYTES // 2**20} MiB")
    return data.decode("utf-8")
