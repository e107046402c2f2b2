"""`scan` and `fix` a set of paths: discover files, work on them (in parallel), apply
suppressions and a baseline.

The scanner only reads files. Errors reading a file or a folder (permissions, encoding, a
file or line past the sizes below) are reported as that path's problem, change the exit code
and do not stop the others.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import re
import stat
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tf2rec.atomic import refuse_inputs
from tf2rec.errors import UsageError
from tf2rec.tools.scan.baseline import read as read_baseline
from tf2rec.tools.scan.engine import mentions_tensorflow, scan_file
from tf2rec.tools.scan.finding import Finding, fingerprinted
from tf2rec.tools.scan.parse import StatementTooLong
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
# Past these, a file is skipped with a message, not read: CPython's parser and libcst need
# tens of times a file's size for its trees (a 50 MB one-line list literal passes 4 GiB), and
# no hand-written TF1 module comes near them. A generated one (a `_pb2.py`) stays under both.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_LINE_BYTES = 256 * 1024
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
    return discover_all(paths, exclude)[0]


def discover_all(
    paths: Iterable[str | Path], exclude: Sequence[str] = ()
) -> tuple[list[Path], dict[Path, str]]:
    """Python files under `paths`, sorted, without excluded names / globs; and the folders
    that could not be listed, with why (they are the user's to fix, never skipped silently).
    An empty path is an error: it would otherwise mean the current folder."""
    pattern = re.compile("|".join(map(fnmatch.translate, (*DEFAULT_EXCLUDE, *exclude))))

    def excluded(path: Path) -> bool:
        return any(pattern.match(part) for part in path.parts) or bool(
            pattern.match(path.as_posix())
        )

    found: set[Path] = set()
    unlisted: dict[Path, str] = {}

    def unreadable(err: OSError) -> None:
        unlisted[Path(err.filename)] = f"folder not read ({err.strerror}); skipped"

    for given in paths:
        if os.fspath(given) == "":
            raise PathNotFound("an empty path was given; name a file or a folder ('.' for here)")
        root = Path(given)
        try:
            root.stat()
        except FileNotFoundError:
            raise PathNotFound(f"{root}: no such file or directory") from None
        except OSError as err:  # a name too long, a loop of links, a folder on the way denied
            raise PathNotFound(f"{root}: {err.strerror}; check the path") from None
        if not root.is_dir():
            found.add(root)  # named explicitly: read whatever its name (a FIFO is refused)
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not excluded(here / d))
            found.update(
                here / f for f in filenames if f.endswith(".py") and not excluded(here / f)
            )
    return sorted(found), unlisted


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
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            raise Unreadable("not a regular file (a FIFO, socket or device); skipped")
        if status.st_size > MAX_FILE_BYTES:
            raise Unreadable(
                f"{status.st_size:,} bytes, more than the {MAX_FILE_BYTES:,} tf2rec reads; "
                "skipped (a generated file? exclude it with --exclude)"
            )
        raw = Path(path).read_bytes()
    except OSError as err:
        raise Unreadable(f"cannot read ({err.strerror})") from None
    line = long_line(raw)
    if line is not None:
        raise Unreadable(
            f"line {line} is longer than the {MAX_LINE_BYTES:,} bytes tf2rec reads; "
            "skipped (a generated file? exclude it with --exclude)"
        )
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


def long_line(raw: bytes, limit: int = MAX_LINE_BYTES) -> int | None:
    """The number of the first line of `raw` longer than `limit` bytes, or None; in time
    linear in its size. A line longer than `limit` holds a whole window of `limit // 2` bytes
    starting at a multiple of it, so only the windows without a line end are looked at."""
    half = max(1, limit // 2)
    for start in range(0, len(raw), half):
        end = start + half
        if end > len(raw) or raw.find(b"\n", start, end) >= 0 or raw.find(b"\r", start, end) >= 0:
            continue
        first = max(raw.rfind(b"\n", 0, start), raw.rfind(b"\r", 0, start)) + 1
        ends = [i for i in (raw.find(b"\n", end), raw.find(b"\r", end)) if i >= 0]
        if min(ends, default=len(raw)) - first > limit:
            return raw.count(b"\n", 0, first) + 1
    return None


def _scan_file(args: tuple[str, tuple[str, ...]]) -> FileResult:
    path, rule_ids = args
    try:
        source = read_source(path).text
    except Unreadable as err:
        return FileResult(path, error=str(err))
    rules = [RULES_BY_ID[i]() for i in rule_ids]
    # a file that cannot be read (TF001, TF002) is reported whatever the selection
    wanted = {*rule_ids, *UNREADABLE_RULES}
    try:
        found, python2 = scan_file(path, source, rules)
    except StatementTooLong as err:
        return FileResult(path, error=str(err))
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
    outputs: Mapping[str, str | Path | None] | None = None,
) -> ScanReport:
    """Scan the Python files under `paths` with the rules `select` / `ignore` choose (ids or
    prefixes: `"TF1"`, `"TF501"`); with `baseline`, leave out the findings it holds.

    Only reads files. A path that does not exist, an unknown rule or an unreadable baseline
    raises `UsageError`; so does one of `outputs` (option -> path: the files the caller will
    write) that is a file to scan or the baseline, before any file is read. A file or folder
    that cannot be read is in the report (`report.unreadable`).
    """
    rules = select_rules(select, ignore)
    files, unlisted = discover_all(paths, exclude)
    refuse_inputs(dict(outputs or {}), [*files, *([baseline] if baseline is not None else [])])
    known = read_baseline(baseline) if baseline is not None else None
    rule_ids = tuple(r.id for r in rules)
    work = [(str(f), rule_ids) for f in files]
    results = _in_parallel(_scan_file, work, jobs)
    results += [FileResult(str(folder), error=why) for folder, why in unlisted.items()]
    report = ScanReport(tuple(sorted(results, key=_path) if unlisted else results))
    if known is None:
        return report
    return report.without(known.fingerprints, note=known.note)


def _path(result: FileResult | FileFix) -> Path:
    return Path(result.path)


def _fix_file(args: tuple[str, tuple[str, ...], bool, bool]) -> FileFix:
    from tf2rec.tools.scan.fixer import fix_source
    from tf2rec.tools.scan.tf1_mode import fix_as_tf1

    path, rule_ids, unsafe_fixes, run_as_tf1 = args
    try:
        source = read_source(path)
    except Unreadable as err:
        return FileFix(path, "", "", error=str(err))
    rules = [RULES_BY_ID[i]() for i in rule_ids]
    try:
        if run_as_tf1:
            result = fix_as_tf1(path, source.text, rules)
        else:
            result = fix_source(path, source.text, rules, unsafe_fixes=unsafe_fixes)
    except StatementTooLong as err:
        return FileFix(path, "", "", error=str(err))
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
    break_hard_links: bool = False,
) -> FixReport:
    """Fix the Python files under `paths`: every exact fix of the chosen rules (with
    `unsafe_fixes`, also those that change what the program does on purpose). Nothing is
    written unless `write`; a file is written only if it still holds what was read, and each
    one that cannot be says why in its `error`. A file with other hard links is left alone
    unless `break_hard_links` (see `fixer.write_fixes`). With `run_as_tf1`, the fixes keep
    the program TF1 code run by tf2rec.tf1 instead (`tools/scan/tf1_mode.py`)."""
    from tf2rec.tools.scan.fixer import write_fixes

    mode = "tf1" if run_as_tf1 else "migrate"
    rule_ids = tuple(r.id for r in select_rules(select, ignore, mode))
    files, unlisted = discover_all(paths, exclude)
    work = [(str(f), rule_ids, unsafe_fixes, run_as_tf1) for f in files]
    fixes = list(_in_parallel(_fix_file, work, jobs))
    if write:
        write_fixes(fixes, roots=paths, break_hard_links=break_hard_links)
    fixes += [FileFix(str(folder), "", "", error=why) for folder, why in unlisted.items()]
    return FixReport(tuple(sorted(fixes, key=_path) if unlisted else fixes), written=write)
