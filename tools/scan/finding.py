"""What the scanner reports: a finding, its severity, and the fingerprint that recognises it
across runs (the baseline and SARIF's `partialFingerprints` both use it)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import NamedTuple


class Severity(IntEnum):
    """error: gone in TF 2.21 / Keras 3, or computes something else; warning: runs only in
    compat / graph mode; info: style."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; choose error, warning or info") from None


class Finding(NamedTuple):
    """One finding. A tuple: created, hashed and sorted in C (large files have many)."""

    path: str
    line: int
    column: int
    rule_id: str
    severity: Severity
    message: str
    end_line: int = 0
    end_column: int = 0
    fixable: bool = False  # `tf2rec fix` rewrites it
    fingerprint: str = ""  # `fingerprinted` sets it, once the file's findings are known

    def region(self) -> dict[str, int]:
        """Where the finding is, as SARIF's `region` says it (1-based; the end where known)."""
        region = {"startLine": self.line, "startColumn": self.column}
        if self.end_line >= self.line:
            region.update(endLine=self.end_line, endColumn=max(self.end_column, 1))
        return region


def fingerprinted(findings: Iterable[Finding], lines: Sequence[str]) -> list[Finding]:
    """The findings of one file (in order) with their fingerprints: a hash of the rule, the
    path, the text of the finding's line (not its number, so that edits elsewhere that move
    lines keep it) and which occurrence of that combination it is."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for f in findings:
        text = lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
        key = (f.rule_id, f.path, text)
        seen[key] = seen.get(key, -1) + 1
        raw = "\0".join((*key, str(seen[key])))
        out.append(f._replace(fingerprint=hashlib.sha256(raw.encode()).hexdigest()[:32]))
    return out
