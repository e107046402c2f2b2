"""A baseline: the findings a project has accepted for now, so that a scan with it reports
only new ones (adopt the scanner on an old code base, fail CI on what gets added).

A finding is known by its fingerprint (`finding.fingerprinted`), which survives unrelated
edits.
"""

from __future__ import annotations

import json
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.errors import UsageError

VERSION = 1


class BaselineError(UsageError, ValueError):
    """A baseline file that cannot be read (not JSON, another version, another tool's)."""


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


def read(path: str | Path) -> set[str]:
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
        if payload.get("version") != VERSION:
            raise ValueError(f"version {payload.get('version')!r}, expected {VERSION}")
        return set(payload["fingerprints"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise BaselineError(
            f"{path}: not a tf2rec baseline ({err}); delete it to write a new one"
        ) from None
