"""Scan a set of paths: discover files, scan them (in parallel), apply suppressions.

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
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tf2rec.tools.scan.engine import mentions_tensorflow, scan_source
from tf2rec.tools.scan.rule import Finding, Rule
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
_SUPPRESS = re.compile(r"#\s*tf2rec:\s*ignore(?:\[([A-Za-z0-9_,\s]+)\])?")


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: int = 0  # mention neither tensorflow nor keras
    scanned: list[str] = field(default_factory=list)  # every file read
    without_tensorflow: set[str] = field(default_factory=set)  # of those, the skipped ones
    lines_scanned: int = 0
    errors: list[str] = field(default_factory=list)  # files that could not be read
    # path -> line number -> text, of the lines findings are on (for baselines)
    sources: dict[str, dict[int, str]] = field(default_factory=dict)


def select_rules(select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[type[Rule]]:
    """Rules whose id starts with one of `select` (all when empty) and none of `ignore`."""
    known = {r.id for r in RULES}
    for code in (*select, *ignore):
        if not any(rule_id.startswith(code) for rule_id in known):
            raise ValueError(f"unknown rule or prefix {code!r}; `tf2rec rules` lists them")
    return [
        r
        for r in RULES
        if (not select or r.id.startswith(tuple(select)))
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
            raise FileNotFoundError(f"{root}: no such file or directory")
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


def _scan_file(
    args: tuple[str, tuple[str, ...]],
) -> tuple[str, list[Finding], int, str | None, bool, dict[int, str]]:
    path, rule_ids = args
    try:
        source = read_source(path).text
    except Unreadable as err:
        return path, [], 0, f"{path}: {err}", True, {}
    rules = [RULES_BY_ID[i]() for i in rule_ids]
    wanted = set(rule_ids)  # the engine reports files it cannot read (TF001) whatever is asked
    findings = [f for f in scan_source(path, source, rules) if f.rule_id in wanted]
    lines = source.splitlines()
    if "tf2rec" in source:  # a file without the word has no suppression comment
        findings = [f for f in findings if not suppressed(f, lines)]
    shown = {f.line: lines[f.line - 1] for f in findings if 0 < f.line <= len(lines)}
    return path, findings, len(lines), None, not mentions_tensorflow(source), shown


def scan_paths(
    paths: Sequence[str | Path],
    rules: Sequence[type[Rule]],
    *,
    exclude: Sequence[str] = (),
    jobs: int = 1,
) -> ScanResult:
    files = discover(paths, exclude)
    rule_ids = tuple(r.id for r in rules)
    work = [(str(f), rule_ids) for f in files]
    result = ScanResult()
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(_scan_file, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        outcomes = [_scan_file(w) for w in work]
    for path, findings, n_lines, error, skipped, shown in outcomes:
        if error:
            result.errors.append(error)
            continue
        result.files_scanned += 1
        result.files_skipped += skipped
        result.scanned.append(path)
        if skipped:
            result.without_tensorflow.add(path)
        result.lines_scanned += n_lines
        result.findings.extend(findings)
        if findings:
            result.sources[path] = shown
    result.findings.sort()
    return result


def _fix_file(args: tuple[str, tuple[str, ...], bool]):
    from tf2rec.tools.scan.fixer import FileFix, fix_source

    path, rule_ids, unsafe_fixes = args
    try:
        source = read_source(path)
    except Unreadable as err:
        return FileFix(path, "", "", error=str(err))
    rules = [RULES_BY_ID[i]() for i in rule_ids]
    result = fix_source(path, source.text, rules, unsafe_fixes=unsafe_fixes)
    result.encoding, result.digest = source.encoding, source.digest
    lines = result.fixed.splitlines()
    result.remaining = [
        f for f in result.remaining if f.rule_id in rule_ids and not suppressed(f, lines)
    ]
    return result


def fix_paths(
    files: Sequence[Path], rules: Sequence[type[Rule]], jobs: int = 1, unsafe_fixes: bool = False
) -> list:
    """A `FileFix` per file; nothing is written here."""
    work = [(str(f), tuple(r.id for r in rules), unsafe_fixes) for f in files]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_fix_file, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        results = [_fix_file(w) for w in work]
    return results
