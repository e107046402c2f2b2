"""Render a scan as text (ruff style), JSON, Markdown (for a pull-request comment) or SARIF.

JSON schema (`schema_version` 1), stable across releases:

    {"schema_version": 1, "tool": {"name": "tf2rec", "version": str},
     "files_scanned": int, "lines_scanned": int, "files_with_findings": int,
     "readiness": float,            # share of scanned files with no error/warning finding
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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tf2rec.tools.scan.baseline import fingerprints
from tf2rec.tools.scan.rule import Rule, Severity
from tf2rec.tools.scan.rules import RULES_BY_ID
from tf2rec.tools.scan.runner import ScanResult

FORMATS = ("text", "json", "markdown", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://pypi.org/project/tf2rec/"


def tool_version() -> str:
    try:
        return version("tf2rec")
    except PackageNotFoundError:
        return "0.0.0"


def readiness(result: ScanResult) -> float:
    """Share of scanned files with no error or warning finding (1.0 = nothing to migrate)."""
    if not result.files_scanned:
        return 1.0
    blocking = {f.path for f in result.findings if f.severity >= Severity.WARNING}
    return 1.0 - len(blocking) / result.files_scanned


def render(result: ScanResult, fmt: str) -> str:
    return {"text": text, "json": as_json, "markdown": markdown, "sarif": sarif}[fmt](result)


def text(result: ScanResult) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.rule_id} [{f.severity.label}] {f.message}"
        for f in result.findings
    ]
    lines += [f"error: {e}" for e in result.errors]
    counts = Counter(f.severity.label for f in result.findings)
    if result.findings:
        lines.append(
            f"Found {len(result.findings)} finding(s) in {len({f.path for f in result.findings})}"
            f" of {result.files_scanned} file(s): {counts['error']} error, "
            f"{counts['warning']} warning, {counts['info']} info. "
            "`tf2rec rules ID` explains a rule."
        )
    else:
        lines.append(f"No findings in {result.files_scanned} file(s).")
    return "\n".join(lines) + "\n"


def as_json(result: ScanResult) -> str:
    prints = fingerprints(result)
    by_severity = Counter(f.severity.label for f in result.findings)
    payload = {
        "schema_version": 1,
        "tool": {"name": "tf2rec", "version": tool_version()},
        "files_scanned": result.files_scanned,
        "lines_scanned": result.lines_scanned,
        "files_with_findings": len({f.path for f in result.findings}),
        "readiness": round(readiness(result), 4),
        "summary": {
            **{s: by_severity.get(s, 0) for s in ("error", "warning", "info")},
            "by_rule": dict(sorted(Counter(f.rule_id for f in result.findings).items())),
        },
        "findings": [
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
                "fingerprint": fp,
            }
            for f, fp in zip(result.findings, prints, strict=True)
        ],
        "unreadable": result.errors,
    }
    return json.dumps(payload, indent=2) + "\n"


def markdown(result: ScanResult) -> str:
    ready = readiness(result)
    clean = round(ready * result.files_scanned)
    out = [
        "## tf2rec scan",
        "",
        f"**Migration readiness: {ready:.0%}** ({clean} of {result.files_scanned} files "
        "have no error or warning finding)",
        "",
    ]
    if not result.findings:
        return "\n".join(out + ["No TF1 idioms found.", ""])
    counts = Counter(f.severity.label for f in result.findings)
    out += [
        f"{len(result.findings)} findings: {counts['error']} error, {counts['warning']} "
        f"warning, {counts['info']} info.",
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
        "| File | Errors | Warnings | Info |",
        "| --- | ---: | ---: | ---: |",
    ]
    per_file: dict[str, Counter] = {}
    for f in result.findings:
        per_file.setdefault(f.path, Counter())[f.severity.label] += 1
    for path, c in sorted(per_file.items(), key=lambda kv: (-kv[1]["error"], kv[0])):
        out.append(f"| `{path}` | {c['error']} | {c['warning']} | {c['info']} |")
    return "\n".join(out + [""])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif(result: ScanResult) -> str:
    root = Path.cwd().resolve()
    rule_ids = sorted({f.rule_id for f in result.findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    prints = fingerprints(result)
    results = []
    for f, fp in zip(result.findings, prints, strict=True):
        region = {"startLine": f.line, "startColumn": f.column}
        if f.end_line >= f.line:
            region.update(endLine=f.end_line, endColumn=max(f.end_column, 1))
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": index[f.rule_id],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": _relative_uri(f.path, root),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": fp},
            }
        )
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
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not result.errors,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": e}} for e in result.errors
                        ],
                    }
                ],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


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
        "shortDescription": {"text": rule.message.format(name=rule.name)},
        "fullDescription": {"text": rule.describe()},
        "help": {
            "text": f"{rule.describe()} Use instead: {rule.replacement}",
            "markdown": rule_page(rule),
        },
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"tags": ["tensorflow", "migration"]},
    }


def rule_page(rule: type[Rule]) -> str:
    """What it does / Why / Example / Use instead, as `tf2rec rules ID` prints it."""
    parts = [
        f"# {rule.id} {rule.name} ({rule.severity.label})",
        "",
        "## What it does",
        rule.message.format(name="...") + ".",
        "",
        "## Why is this bad?",
        rule.describe(),
        "",
    ]
    for example in rule.INVALID:
        parts += ["## Example", "```python", example.rstrip("\n"), "```", ""]
    parts += ["## Use instead", rule.replacement + "."]
    if rule.migrated:
        parts.append(f"In this project: `{rule.migrated}`.")
    for example in rule.VALID:
        parts += ["", "```python", example.rstrip("\n"), "```"]
    for before, after in rule.FIXES:
        parts += ["", "## Fix (`tf2rec fix`)", "```diff"]
        parts += [
            line
            for line in difflib.unified_diff(
                before.splitlines(), after.splitlines(), lineterm="", n=1
            )
        ][2:]
        parts.append("```")
    return "\n".join(parts) + "\n"
