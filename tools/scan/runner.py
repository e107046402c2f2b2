"""`scan` and `fix` a set of paths: discover files, work on them (in parallel), apply
suppressions and a baseline.

The scanner only reads files. Errors reading a file (permissions, encoding) are reported as
that file's problem and do not stop the others.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import re
import stat
import tokenize
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tf2rec.errors import UsageError
from tf2rec.tools.scan.baseline import read as read_baseline
from tf2rec.tools.scan.engine import mentions_tensorflow, scan_file
from tf2rec.tools.scan.finding import Finding, fingerprinted
from tf2rec.tools.scan.results import FileFix, FileResult, FixReport, ScanReport
from tf2rec.tools.scan.rule import Rule
from tf2rec.tools.scan.rules import RULES, RULES_BY_ID

DEFAULT_EXCLUDE = (
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    "*.egg-info",
    ".tox",
    "node_modules",
)
UNREADABLE_RULES = ("TF001", "TF002")  # a file the scanner could not read: always reported
_SUPPRESS = re.compile(r"#\s*tf2rec:\s*ignore(?:\[([A-Za-z0-9_,\s]+)\])?")


class PathNotFound(UsageError, FileNotFoundError):
    """A path given to scan or fix that does not exist."""


def select_rules(
    select: Sequence[str] = (), ignore: Sequence[str] = (), mode: str = "migrate"
) -> list[type[Rule]]:
    """Rules of `mode` (`Rule.mode`; the syntax rules belong to every mode) whose id starts
    with one of `select` (all when empty) and none of `ignore`."""
    known = {r.id for r in RULES}
    for code in (*select, *ignore):
        if not any(rule_id.startswith(code) for rule_id in known):
            raise UsageError(f"unknown rule or prefix {code!r}; `tf2rec rules` lists them")
    return [
        r
        for r in RULES
        if (r.mode == mode or r.id in ("TF001", "TF002"))
        and (not select or r.id.startswith(tuple(select)))
        and not r.id.startswith(tuple(ignore) or ("\0",))
    ]


def discover(paths: Iterable[str | Path], exclude: Sequence[str] = ()) -> list[Path]:
    """Python files under `paths`, sorted, without excluded names / globs."""
    pattern = re.compile("|".join(map(fnmatch.translate, (*DEFAULT_EXCLUDE, *exclude))))

    def excluded(path: Path) -> bool:
        return any(pattern.match(part) for part in path.parts) or bool(
            pattern.match(path.as_posix())
        )

    found: set[Path] = set()
    for root in map(Path, paths):
        if not root.exists():
            raise PathNotFound(f"{root}: no such file or directory")
        if not root.is_dir():
            found.add(root)  # named explicitly: read whatever its name (a FIFO is refused)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not excluded(here / d))
            found.update(
                here / f for f in filenames if f.endswith(".py") and not excluded(here / f)
            )
    return sorted(found)


def suppressed(finding: Finding, lines: list[str]) -> bool:
    """`# tf2rec: ignore` or `# tf2rec: ignore[TF101, TF104]` on the finding's line."""
    if not 0 < finding.line <= len(lines):
        return False
    match = _SUPPRESS.search(lines[finding.line - 1])
    if match is None:
        return False
    ids = match.group(1)
    return ids is None or finding.rule_id in {i.strip() for i in ids.split(",")}


class Unreadable(Exception):
    """A file the scanner cannot read as Python source; the message says why."""


@dataclass(frozen=True)
class Source:
    text: str
    encoding: str  # what its coding line declares (PEP 263), else UTF-8
    digest: str  # sha256 of its bytes, to tell later whether it changed


def read_source(path: str) -> Source:
    """A file's text, decoded as Python decodes it. A FIFO or a device is refused before
    it is opened (reading one would wait forever)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise Unreadable("not a regular file (a FIFO, socket or device); skipped")
        raw = Path(path).read_bytes()
    except OSError as err:
        raise Unreadable(f"cannot read ({err.strerror})") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        text = raw.decode(encoding)
    except SyntaxError as err:  # an unknown encoding in the coding line
        raise Unreadable(f"{err.msg}; not read") from None
    except UnicodeDecodeError as err:
        raise Unreadable(
            f"not {err.encoding} text ({err.reason} at byte {err.start}); declare its "
            "encoding in a coding line (`# -*- coding: latin-1 -*-`)"
        ) from None
    return Source(text, encoding, hashlib.sha256(raw).hexdigest())


def _scan_file(args: tuple[str, tuple[str, ...]]) -> FileResult:
    path, rule_ids = args
    try:
        source = read_source(path).text
    except Unreadable as err:
        return FileResult(path, error=str(err))
    rules = [RULES_BY_ID[i]() for i in rule_ids]
    # a file that cannot be read (TF001, TF002) is reported whatever the selection
    wanted = {*rule_ids, *UNREADABLE_RULES}
    found, python2 = scan_file(path, source, rules)
    findings = [f for f in found if f.rule_id in wanted]
    lines = source.splitlines()
    if "tf2rec" in source:  # a file without the word has no suppression comment
        findings = [f for f in findings if not suppressed(f, lines)]
    return FileResult(
        path,
        tuple(fingerprinted(sorted(findings), lines)),
        len(lines),
        mentions_tensorflow(source),
        python2=python2,
    )


def _in_parallel(work: Callable, items: list, jobs: int) -> list:
    if jobs > 1 and len(items) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(work, items, chunksize=max(1, len(items) // (jobs * 8))))
    return [work(item) for item in items]


def scan(
    paths: Sequence[str | Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int = 1,
    baseline: str | Path | None = None,
) -> ScanReport:
    """Scan the Python files under `paths` with the rules `select` / `ignore` choose (ids or
    prefixes: `"TF1"`, `"TF501"`); with `baseline`, leave out the findings it holds.

    Only reads files. A path that does not exist, an unknown rule or an unreadable baseline
    raises `UsageError`; a file that cannot be read is in the report (`report.unreadable`).
    """
    rules = select_rules(select, ignore)
    known = read_baseline(baseline) if baseline is not None else None
    rule_ids = tuple(r.id for r in rules)
    work = [(str(f), rule_ids) for f in discover(paths, exclude)]
    report = ScanReport(tuple(_in_parallel(_scan_file, work, jobs)))
    return report.without(known) if known is not None else report


def _fix_file(args: tuple[str, tuple[str, ...], bool, bool]) -> FileFix:
    from tf2rec.tools.scan.fixer import fix_source
    from tf2rec.tools.scan.tf1_mode import fix_as_tf1

    path, rule_ids, unsafe_fixes, run_as_tf1 = args
    try:
        source = read_source(path)
    except Unreadable as err:
        return FileFix(path, "", "", error=str(err))
    rules = [RULES_BY_ID[i]() for i in rule_ids]
    if run_as_tf1:
        result = fix_as_tf1(path, source.text, rules)
    else:
        result = fix_source(path, source.text, rules, unsafe_fixes=unsafe_fixes)
    result.encoding, result.digest = source.encoding, source.digest
    lines = result.fixed.splitlines()
    result.remaining = [
        f
        for f in result.remaining
        if (f.rule_id in rule_ids or f.rule_id in UNREADABLE_RULES) and not suppressed(f, lines)
    ]
    return result


def fix(
    paths: Sequence[str | Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int = 1,
    unsafe_fixes: bool = False,
    write: bool = False,
    run_as_tf1: bool = False,
) -> FixReport:
    """Fix the Python files under `paths`: every exact fix of the chosen rules (with
    `unsafe_fixes`, also those that change what the program does on purpose). Nothing is
    written unless `write`; a file is written only if it still holds what was read, and each
    one that cannot be says why in its `error`. With `run_as_tf1`, the fixes keep the
    program TF1 code run by tf2rec.tf1 instead (`tools/scan/tf1_mode.py`)."""
    from tf2rec.tools.scan.fixer import write_fixes

    mode = "tf1" if run_as_tf1 else "migrate"
    rule_ids = tuple(r.id for r in select_rules(select, ignore, mode))
    work = [(str(f), rule_ids, unsafe_fixes, run_as_tf1) for f in discover(paths, exclude)]
    files = tuple(_in_parallel(_fix_file, work, jobs))
    if write:
        write_fixes(files, roots=paths)
    return FixReport(files, written=write)
