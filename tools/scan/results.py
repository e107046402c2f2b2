"""What a scan and a fix return: each file's result and state, and the report of a run.

The state of a file, the readiness figure and whether a run fails are computed here, once;
the reports (`reports.py`) and the command line only render them.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from tf2rec.tools.scan.finding import Finding, Severity

FAIL_ON = ("error", "warning", "info", "never")


class FileState(StrEnum):
    """Where a file stands in the migration."""

    BLOCKED = "blocked"  # an error finding: it does not parse, or uses what TF 2.21 lacks
    COMPAT = "compat"  # warnings only: it runs, in TF1 compatibility / graph mode
    READY = "ready"  # no error or warning
    PYTHON2 = "Python 2"  # read as Python 2: converted before anything else (to migrate)
    NO_TENSORFLOW = "without TensorFlow"  # counted apart, never as ready
    UNREADABLE = "unreadable"  # could not be read as Python source (`error` says why)


@dataclass(frozen=True)
class FileResult:
    """One file's scan: its findings (sorted, fingerprinted), its size, and its state."""

    path: str
    findings: tuple[Finding, ...] = ()
    lines: int = 0
    mentions_tensorflow: bool = True
    error: str | None = None  # why it could not be read
    python2: bool = False  # read as Python 2 (`tools.scan.python2`)

    @cached_property
    def state(self) -> FileState:
        if self.error is not None:
            return FileState.UNREADABLE
        if self.python2:
            return FileState.PYTHON2
        worst = max((f.severity for f in self.findings), default=None)
        if worst == Severity.ERROR:
            return FileState.BLOCKED
        if not self.mentions_tensorflow:
            return FileState.NO_TENSORFLOW
        return FileState.COMPAT if worst == Severity.WARNING else FileState.READY


def fails(findings, fail_on: str) -> bool:
    """Whether any finding is at or above `fail_on` (one of FAIL_ON; never, for "never")."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    return fail_on != "never" and any(f.severity >= Severity.parse(fail_on) for f in findings)


@dataclass(frozen=True)
class ScanReport:
    """The result of `tf2rec.scan`: every file it looked at, in path order."""

    files: tuple[FileResult, ...]
    known: int = 0  # findings left out because the baseline holds them
    notes: tuple[str, ...] = ()  # what the user should know about the scan (an old baseline)

    @cached_property
    def findings(self) -> list[Finding]:
        return sorted(f for result in self.files for f in result.findings)

    @property
    def scanned(self) -> list[FileResult]:
        """The files that were read (every file but the unreadable ones)."""
        return [result for result in self.files if result.error is None]

    @property
    def unreadable(self) -> list[FileResult]:
        return [result for result in self.files if result.error is not None]

    @property
    def lines_scanned(self) -> int:
        return sum(result.lines for result in self.files)

    @cached_property
    def counts(self) -> Counter[FileState]:
        return Counter(result.state for result in self.files)

    @property
    def readiness(self) -> float:
        """Share of the files to migrate (those with TensorFlow, any that do not parse, and
        every Python 2 file) that are ready; 1.0 when there is nothing to migrate."""
        c = self.counts
        to_migrate = c[FileState.BLOCKED] + c[FileState.COMPAT] + c[FileState.READY]
        to_migrate += c[FileState.PYTHON2]
        return c[FileState.READY] / to_migrate if to_migrate else 1.0

    def exit_code(self, fail_on: str = "info") -> int:
        """What `tf2rec scan` exits with: 2 when a file could not be read, 1 when a finding is
        at or above `fail_on`, else 0."""
        if self.unreadable:
            return 2
        return 1 if fails(self.findings, fail_on) else 0

    def without(self, fingerprints: Set[str], note: str | None = None) -> ScanReport:
        """The report without the findings whose fingerprint is in `fingerprints` (a
        baseline's): what a project has added since; `note` joins its notes."""
        files = []
        known = self.known
        for result in self.files:
            kept = tuple(f for f in result.findings if f.fingerprint not in fingerprints)
            known += len(result.findings) - len(kept)
            files.append(replace(result, findings=kept))
        return ScanReport(tuple(files), known, (*self.notes, *([note] if note else [])))


@dataclass
class FileFix:
    """One file's fix: its text before and after, what the fixes removed and what is left."""

    path: str
    source: str
    fixed: str
    applied: list[Finding] = field(default_factory=list)  # findings the fix removes
    remaining: list[Finding] = field(default_factory=list)  # findings left after it
    error: str | None = None  # why the file is left alone
    encoding: str = "utf-8"  # written back as it was read
    digest: str | None = None  # sha256 of the bytes read: unchanged when written?

    @property
    def changed(self) -> bool:
        return self.error is None and self.fixed != self.source

    def diff(self) -> str:
        relative = not Path(self.path).is_absolute()
        return "".join(
            difflib.unified_diff(
                self.source.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=f"a/{self.path}" if relative else self.path,
                tofile=f"b/{self.path}" if relative else self.path,
            )
        )


@dataclass(frozen=True)
class FixReport:
    """The result of `tf2rec.fix`: each file's fix, and whether it was written."""

    files: tuple[FileFix, ...]
    written: bool = False

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files if f.changed]

    @property
    def applied(self) -> int:
        return sum(len(f.applied) for f in self.changed)

    @property
    def remaining(self) -> list[Finding]:
        """The findings left for a person (in the files that could be read)."""
        return [finding for f in self.files if not f.error for finding in f.remaining]

    @property
    def errors(self) -> list[FileFix]:
        return [f for f in self.files if f.error]

    @property
    def unparsed(self) -> int:
        return sum(any(f.rule_id == "TF001" for f in fix.remaining) for fix in self.files)

    def diff(self) -> str:
        return "".join(f.diff() for f in self.changed)

    def exit_code(self, fail_on: str = "info") -> int:
        """What `tf2rec fix` exits with: 2 when a file could not be read or written, 1 when
        changes are pending (a dry run) or a finding at or above `fail_on` is left, else 0."""
        if self.errors:
            return 2
        pending = bool(self.changed) and not self.written
        return 1 if pending or fails(self.remaining, fail_on) else 0
