"""Render a scan as text (ruff style), JSON, Markdown (for a pull-request comment) or SARIF.

JSON schema (`schema_version` 3), stable across releases (3: findings about an argument are
at the argument, which changes their fingerprints; `files` / `file_status` know Python 2):

    {"schema_version": 3, "tool": {"name": "tf2rec", "version": str},
     "files_scanned": int, "lines_scanned": int, "files_with_findings": int,
     "readiness": float,            # ready share of the files to migrate (`ScanReport`)
     "files": {"blocked": int, "compat": int, "ready": int, "python_2": int,
               "without_tensorflow": int},
     "file_status": {path: "blocked"|"compat"|"ready"|"Python 2"|"without TensorFlow"},
     "summary": {"error": int, "warning": int, "info": int, "by_rule": {id: int}},
     "findings": [{"rule": id, "name": str, "severity": "error"|"warning"|"info",
                   "path": str, "line": int, "column": int,       # 1-based
                   "end_line": int, "end_column": int,
                   "message": str, "replacement": str, "migrated": str|null,
                   "fixable": bool,            # `tf2rec fix` rewrites it
                   "fingerprint": str}],
     "unreadable": [str]}
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tf2rec.tools.scan.finding import Finding, Severity
from tf2rec.tools.scan.results import FileState, ScanReport
from tf2rec.tools.scan.rule import Rule
from tf2rec.tools.scan.rules import RULES_BY_ID

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://pypi.org/project/tf2rec/"


def tool_version() -> str:
    try:
        return version("tf2rec")
    except PackageNotFoundError:
        return "0.0.0"


def _file_counts(report: ScanReport) -> str:
    c = report.counts
    return (
        f"Files: {c[FileState.BLOCKED]} blocked, {c[FileState.COMPAT]} run in compat mode, "
        f"{c[FileState.READY]} ready"
        + (f", {c[FileState.PYTHON2]} Python 2" if c[FileState.PYTHON2] else "")
        + f" ({report.readiness:.0%} ready); {c[FileState.NO_TENSORFLOW]} without TensorFlow."
    )


def render(result: ScanReport, fmt: str) -> Iterable[str]:
    """The report, in pieces to write one after the other."""
    if fmt in ("json", "sarif"):
        return (as_json if fmt == "json" else sarif)(result)
    return [(text if fmt == "text" else markdown)(result)]


def text(result: ScanReport) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.rule_id} [{f.severity.label}] {f.message}"
        for f in result.findings
    ]
    lines += [f"error: {f.path}: {f.error}" for f in result.unreadable]
    counts = Counter(f.severity.label for f in result.findings)
    if result.findings:
        lines.append(
            f"Found {len(result.findings)} finding(s) in {len({f.path for f in result.findings})}"
            f" of {len(result.scanned)} file(s): {counts['error']} error, "
            f"{counts['warning']} warning, {counts['info']} info. {_file_counts(result)} "
            "`tf2rec rules ID` explains a rule."
        )
    else:
        lines.append(f"No findings in {len(result.scanned)} file(s). {_file_counts(result)}")
    return "\n".join(lines) + "\n"


def as_json(result: ScanReport) -> Iterator[str]:
    by_severity = Counter(f.severity.label for f in result.findings)
    payload = {
        "schema_version": 3,
        "tool": {"name": "tf2rec", "version": tool_version()},
        "files_scanned": len(result.scanned),
        "lines_scanned": result.lines_scanned,
        "files_with_findings": len({f.path for f in result.findings}),
        "readiness": round(result.readiness, 4),
        "files": {
            state.value.replace(" ", "_").lower(): result.counts[state] for state in _MIGRATION
        },
        "file_status": dict(sorted((f.path, f.state.value) for f in result.scanned)),
        "summary": {
            **{s: by_severity.get(s, 0) for s in ("error", "warning", "info")},
            "by_rule": dict(sorted(Counter(f.rule_id for f in result.findings).items())),
        },
        "findings": (
            {
                "rule": f.rule_id,
                "name": RULES_BY_ID[f.rule_id].name,
                "severity": f.severity.label,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "message": f.message,
                "replacement": RULES_BY_ID[f.rule_id].replacement,
                "migrated": RULES_BY_ID[f.rule_id].migrated,
                "fixable": f.fixable,
                "fingerprint": f.fingerprint,
            }
            for f in result.findings
        ),
        "unreadable": [f"{f.path}: {f.error}" for f in result.unreadable],
    }
    return json_chunks(payload, rows={"findings"})


def json_chunks(value, rows: set[str], depth: int = 0) -> Iterator[str]:
    """JSON indented like `indent=2`, except that the items of the lists (or iterators)
    named in `rows` take one line each; in pieces, so that a large report is never held
    twice. Each row is written by json's C encoder (with `indent`, json falls back to its
    Python one: most of a large report's time)."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        for index, (key, item) in enumerate(value.items()):
            yield ("{" if index == 0 else ",") + f"\n{inner}{json.dumps(key)}: "
            if key in rows:
                empty = True
                for row in item:
                    yield ("[" if empty else ",") + f"\n{inner}  " + json.dumps(row)
                    empty = False
                yield "[]" if empty else f"\n{inner}]"
            else:
                yield from json_chunks(item, rows, depth + 1)
        yield f"\n{pad}}}"
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield ("[" if index == 0 else ",") + f"\n{inner}"
            yield from json_chunks(item, rows, depth + 1)
        yield f"\n{pad}]"
    else:
        yield json.dumps(value)
    if depth == 0:
        yield "\n"


# the states of the files a scan read, in the order the reports list them
_MIGRATION = (
    FileState.BLOCKED,
    FileState.COMPAT,
    FileState.READY,
    FileState.PYTHON2,
    FileState.NO_TENSORFLOW,
)


def markdown(result: ScanReport) -> str:
    blocked, compat, ready, python2, without = (result.counts[state] for state in _MIGRATION)
    out = [
        "## tf2rec scan",
        "",
        f"**Migration readiness: {result.readiness:.0%}** ({ready} of "
        f"{blocked + compat + ready + python2} files with TensorFlow ready; {blocked} blocked, "
        f"{compat} run in compat mode"
        + (f", {python2} Python 2" if python2 else "")
        + f"; {without} without TensorFlow)",
        "",
    ]
    if not result.findings:
        return "\n".join(out + ["No TF1 idioms found.", ""])
    severities = Counter(f.severity.label for f in result.findings)
    out += [
        f"{len(result.findings)} findings: {severities['error']} error, "
        f"{severities['warning']} warning, {severities['info']} info.",
        "",
        "### By rule",
        "",
        "| Rule | Severity | Count | Use instead |",
        "| --- | --- | ---: | --- |",
    ]
    by_rule = Counter(f.rule_id for f in result.findings)
    worst = {}
    for f in result.findings:
        worst[f.rule_id] = max(worst.get(f.rule_id, f.severity), f.severity)
    for rule_id, count in sorted(by_rule.items(), key=lambda kv: (-worst[kv[0]], kv[0])):
        rule = RULES_BY_ID[rule_id]
        out.append(
            f"| `{rule_id}` {rule.name} | {worst[rule_id].label} | {count} | "
            f"{_cell(rule.replacement)} |"
        )
    out += [
        "",
        "### By file",
        "",
        "| File | Status | Errors | Warnings | Info |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    status = {f.path: f.state.value for f in result.files}
    per_file: dict[str, list] = {}
    for f in result.findings:
        per_file.setdefault(f.path, []).append(f)
    order = sorted(
        per_file, key=lambda p: (-sum(f.severity == Severity.ERROR for f in per_file[p]), p)
    )
    for path in order:
        c = Counter(f.severity.label for f in per_file[path])
        out.append(f"| `{path}` | {status[path]} | {c['error']} | {c['warning']} | {c['info']} |")
    for path in order:
        out += ["", f"<details><summary><code>{path}</code>: {status[path]}</summary>", ""]
        out += ["| Line | Rule | Severity | Finding |", "| ---: | --- | --- | --- |"]
        out += [
            f"| {f.line} | `{f.rule_id}` | {f.severity.label} | {_cell(f.message)} |"
            for f in per_file[path]
        ]
        out += ["", "</details>"]
    return "\n".join(out + [""])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif(result: ScanReport) -> Iterator[str]:
    root = Path.cwd().resolve()
    rule_ids = sorted({f.rule_id for f in result.findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = [_sarif_result(f, index[f.rule_id], root) for f in result.findings]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tf2rec",
                        "version": tool_version(),
                        "informationUri": INFO_URI,
                        "rules": [_sarif_rule(RULES_BY_ID[i]) for i in rule_ids],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "properties": {  # each file's state: Python 2 files apart
                    "readiness": round(result.readiness, 4),
                    "fileStates": {
                        _relative_uri(f.path, root): f.state.value for f in result.scanned
                    },
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not result.unreadable,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": f"{f.path}: {f.error}"}}
                            for f in result.unreadable
                        ],
                    }
                ],
            }
        ],
    }
    return json_chunks(log, rows={"results", "rules"})


def _sarif_result(f: Finding, rule_index: int, root: Path) -> dict:
    """One finding as a SARIF result: where it is, and the fingerprint that follows it."""
    location = {
        "artifactLocation": {"uri": _relative_uri(f.path, root), "uriBaseId": "%SRCROOT%"},
        "region": f.region(),
    }
    return {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"primaryLocationLineHash": f.fingerprint},
    }


def _relative_uri(path: str, root: Path) -> str:
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_uri()


def _sarif_rule(rule: type[Rule]) -> dict:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule.describe()},
        "help": {
            "text": f"{rule.describe()} Use instead: {rule.replacement}",
            "markdown": rule_page(rule),
        },
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"tags": ["tensorflow", "migration"]},
    }


def page_example(example: str, width: int = 100) -> str:
    """An example as the rule page prints it: a line longer than `width` is cut in the
    middle (a generated expression is thousands of characters)."""
    lines = []
    for line in example.rstrip("\n").split("\n"):
        if len(line) > width:
            line = f"{line[: width - 30]} ... {line[-20:]}  # {len(line):,} characters"
        lines.append(line)
    return "\n".join(lines)


def rule_page(rule: type[Rule]) -> str:
    """A rule's page, as `tf2rec rules ID` prints it and SARIF carries it: what it finds, why
    that matters on TF2, an example, what to use instead, and whether its fix is safe."""
    example = rule.INVALID[0]
    parts = [
        f"# {rule.id} {rule.name} ({rule.severity_label()})",
        "",
        "## What it does",
        f"Reports {rule.summary()}.",
        "",
        "## Why is this bad?",
        rule.describe(),
        "",
        "## Example",
        "```python",
        page_example(example.code),
        "```",
        "",
        "## Use instead",
        rule.replacement + ".",
    ]
    if rule.migrated:
        parts.append(f"In this project: `{rule.migrated}`.")
    fixed = next((case for case in rule.INVALID if case.fixed is not None), None)
    after = fixed.fixed if fixed is example else (rule.VALID[0].code if rule.VALID else None)
    if after is not None:
        parts += ["", "```python", page_example(after), "```"]
    parts += ["", "## Severity", _severity_text(rule), "", "## Fix safety", _fix_text(rule)]
    if fixed is not None:
        parts += ["", "```diff", *_diff(fixed.code, fixed.fixed), "```"]
    return "\n".join(parts) + "\n"


def _severity_text(rule: type[Rule]) -> str:
    if "/" in rule.severity_label():
        return (
            f"An error where the file reaches the name through `tensorflow` (TF 2.21 does not "
            f"have it there); a {rule.severity.label} through `tensorflow.compat.v1`, where it "
            "still runs."
        )
    return f"Always {rule.severity.label}: {_SEVERITY_MEANING[rule.severity]}."


_SEVERITY_MEANING = {
    Severity.ERROR: "the code fails or computes something else on TF 2.21 / Keras 3",
    Severity.WARNING: "the code runs on TF 2.21 only in TF1 compatibility / graph mode",
    Severity.INFO: "style; the code runs as it is",
}


def _fix_text(rule: type[Rule]) -> str:
    if not rule.fixable():
        return "No automatic fix: the TF2 code depends on what the program does around it."
    if rule.safe_fix:
        return f"Safe: `tf2rec fix` applies it. {rule.fix_safety}"
    return (
        f"Unsafe: `tf2rec fix --unsafe-fixes` applies it, plain `tf2rec fix` does not. "
        f"{rule.fix_safety}"
    )


def _diff(before: str, after: str) -> list[str]:
    return list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))[2:]
