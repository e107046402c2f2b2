"""A baseline: the findings a project has accepted for now, so that `scan --baseline` reports
only new ones (adopt the scanner on an old code base, fail CI on what gets added).

A finding is known by a fingerprint that survives unrelated edits: its rule, its file, the
text of its line (not the line number) and which occurrence of that text it is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.tools.scan.runner import ScanResult

VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read (not JSON, another version, another tool's)."""


def fingerprints(result: ScanResult) -> list[str]:
    """One fingerprint per finding, in `result.findings` order: rule, path, the line's text
    (not its number, so unrelated edits that move lines keep it) and the occurrence of that
    combination, hashed."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for f in result.findings:
        text = result.sources.get(f.path, {}).get(f.line, "").strip()
        key = (f.rule_id, f.path, text)
        seen[key] = seen.get(key, -1) + 1
        raw = "\0".join((*key, str(seen[key])))
        out.append(hashlib.sha256(raw.encode()).hexdigest()[:32])
    return out


def write(path: Path, result: ScanResult) -> int:
    """Record every finding of `result` in `path`; return how many."""
    prints = sorted(set(fingerprints(result)))
    write_atomically(
        path, json.dumps({"version": VERSION, "fingerprints": prints}, indent=2) + "\n"
    )
    return len(prints)


def read(path: Path) -> set[str]:
    try:
        payload = json.loads(path.read_text())
        if payload.get("version") != VERSION:
            raise ValueError(f"version {payload.get('version')!r}, expected {VERSION}")
        return set(payload["fingerprints"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise BaselineError(
            f"{path}: not a tf2rec baseline ({err}); delete it to write a new one"
        ) from None


def new_findings(result: ScanResult, known: set[str]) -> list:
    """The findings of `result` whose fingerprint is not in `known`."""
    prints = fingerprints(result)
    return [f for f, fp in zip(result.findings, prints, strict=True) if fp not in known]
