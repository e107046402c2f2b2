"""`tf2rec scan` and `tf2rec rules`.

Exit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage or internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tf2rec.tools.errors import UsageError
from tf2rec.tools.scan import config
from tf2rec.tools.scan.reports import FORMATS, render, rule_page
from tf2rec.tools.scan.rule import Severity
from tf2rec.tools.scan.rules import RULES, RULES_BY_ID
from tf2rec.tools.scan.runner import ScanResult, fingerprints, scan_paths, select_rules

FAIL_ON = ("error", "warning", "info", "never")
BASELINE_VERSION = 1


def _ids(text: str) -> list[str]:
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def configure(parser: argparse.ArgumentParser):
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--format", choices=FORMATS, help="report format (default: text)")
    parser.add_argument("--output", "-o", type=Path, help="write the report here, not stdout")
    parser.add_argument("--select", type=_ids, help="only these rule ids / prefixes (TF1,TF501)")
    parser.add_argument("--ignore", type=_ids, help="skip these rule ids / prefixes")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        help="lowest severity that makes the exit code 1 (default: info)",
    )
    parser.add_argument("--jobs", "-j", type=int, help="scan files in N processes")
    parser.add_argument(
        "--baseline", type=Path, help="report only findings not in this file; written when missing"
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite --baseline with the current findings",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable)",
    )

    def run(args: argparse.Namespace) -> int:
        try:
            settings, _ = config.load()
        except config.ConfigError as err:
            raise UsageError(str(err)) from None
        fmt = args.format or settings.get("format", "text")
        if fmt not in FORMATS:
            raise UsageError(f"[tool.tf2rec] format must be one of {', '.join(FORMATS)}")
        fail_on = args.fail_on or settings.get("fail-on", "info")
        if fail_on not in FAIL_ON:
            raise UsageError(f"[tool.tf2rec] fail-on must be one of {', '.join(FAIL_ON)}")
        jobs = args.jobs or settings.get("jobs", 1)
        if jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        try:
            rules = select_rules(
                args.select or settings.get("select", []), args.ignore or settings.get("ignore", [])
            )
            result = scan_paths(
                args.paths,
                rules,
                jobs=jobs,
                exclude=[*settings.get("exclude", []), *(args.exclude or [])],
            )
        except (ValueError, FileNotFoundError) as err:
            raise UsageError(str(err)) from None

        if args.baseline:
            written = _apply_baseline(result, args.baseline, args.update_baseline)
            if written is not None:
                print(
                    f"baseline {args.baseline} written with {written} finding(s)", file=sys.stderr
                )
        report = render(result, fmt)
        if args.output:
            _write_atomically(args.output, report)
        else:
            sys.stdout.write(report)
        if result.errors:
            return 2
        if fail_on != "never" and any(
            f.severity >= Severity.parse(fail_on) for f in result.findings
        ):
            return 1
        return 0

    return run


def _apply_baseline(result: ScanResult, path: Path, update: bool) -> int | None:
    """Drop findings recorded in the baseline; write it first when missing or asked to.

    Returns the number of findings written, or None when the baseline was only read.
    """
    prints = fingerprints(result)
    if update or not path.exists():
        payload = {"version": BASELINE_VERSION, "fingerprints": sorted(prints)}
        _write_atomically(path, json.dumps(payload, indent=2) + "\n")
        result.findings = []
        return len(prints)
    try:
        payload = json.loads(path.read_text())
        known = set(payload["fingerprints"])
        if payload.get("version") != BASELINE_VERSION:
            raise ValueError(f"version {payload.get('version')!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UsageError(
            f"{path}: not a tf2rec baseline ({err}); delete it to write a new one"
        ) from None
    result.findings = [f for f, fp in zip(result.findings, prints, strict=True) if fp not in known]
    return None


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text)
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {err.strerror}") from None


def configure_rules(parser: argparse.ArgumentParser):
    parser.add_argument("rule", nargs="?", help="a rule id (e.g. TF101); all when omitted")

    def run(args: argparse.Namespace) -> int:
        if args.rule is None:
            for rule in RULES:
                print(
                    f"{rule.id}  {rule.severity.label:<7}  {rule.name:<24} "
                    f"{rule.message.format(name='...')}"
                )
            return 0
        rule = RULES_BY_ID.get(args.rule.upper())
        if rule is None:
            raise UsageError(f"unknown rule {args.rule!r}; `tf2rec rules` lists them")
        sys.stdout.write(rule_page(rule))
        return 0

    return run


def configure_fix(parser: argparse.ArgumentParser):
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--diff", action="store_true", help="print the changes as a unified diff (the default)"
    )
    mode.add_argument("--write", action="store_true", help="apply the changes to the files")
    parser.add_argument("--select", type=_ids, help="only these rule ids / prefixes")
    parser.add_argument("--ignore", type=_ids, help="skip these rule ids / prefixes")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        help="lowest severity of a finding left after fixing that makes the "
        "exit code 1 (default: info)",
    )
    parser.add_argument("--jobs", "-j", type=int, default=1, help="work on N files at once")
    parser.add_argument("--exclude", action="append", default=None, metavar="GLOB")

    def run(args: argparse.Namespace) -> int:
        from tf2rec.tools.scan.fixer import write_atomically
        from tf2rec.tools.scan.runner import discover, fix_paths

        try:
            settings, _ = config.load()
            rules = select_rules(
                args.select or settings.get("select", []), args.ignore or settings.get("ignore", [])
            )
            files = discover(args.paths, [*settings.get("exclude", []), *(args.exclude or [])])
        except (ValueError, FileNotFoundError, config.ConfigError) as err:
            raise UsageError(str(err)) from None
        if args.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
        fail_on = args.fail_on or settings.get("fail-on", "info")
        results = fix_paths(files, rules, jobs=args.jobs)
        errors = []
        fixed_files = applied = 0
        for result in results:
            if result.error:
                errors.append(f"{result.path}: {result.error}")
                continue
            if not result.changed:
                continue
            if not args.write:
                sys.stdout.write(result.diff())
            elif not os.access(result.path, os.W_OK):
                errors.append(
                    f"{result.path}: read-only; not changed (make it writable and run again)"
                )
                continue
            else:
                try:
                    write_atomically(Path(result.path), result.fixed)
                except OSError as err:
                    errors.append(f"{result.path}: cannot write ({err.strerror}); not changed")
                    continue
            fixed_files += 1
            applied += len(result.applied)
        left = [f for r in results if not r.error for f in r.remaining]
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        verb = "Fixed" if args.write else "Would fix"
        print(
            f"{verb} {applied} finding(s) in {fixed_files} file(s); {len(left)} finding(s) "
            "need a manual change (`tf2rec scan` lists them)."
            + ("" if args.write or not fixed_files else " Run with --write to apply."),
            file=sys.stderr,
        )
        if errors:
            return 2
        pending = fixed_files and not args.write
        too_severe = fail_on != "never" and any(f.severity >= Severity.parse(fail_on) for f in left)
        return 1 if pending or too_severe else 0

    return run
