"""`tf2rec scan`: report every TF1 / Keras 2 idiom with its TF2 replacement.

Exit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage error or unreadable file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.tools.cli.options import add_scan_arguments, fails, scan_settings
from tf2rec.tools.errors import UsageError
from tf2rec.tools.scan import baseline
from tf2rec.tools.scan.reports import FORMATS, render
from tf2rec.tools.scan.runner import scan_paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scan_arguments(
        parser, fail_on_help="lowest severity that makes the exit code 1 (default: info)"
    )
    parser.add_argument("--format", choices=FORMATS, help="report format (default: text)")
    parser.add_argument("--output", "-o", type=Path, help="write the report here, not stdout")
    parser.add_argument(
        "--baseline", type=Path, help="report only findings not in this file; written when missing"
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite --baseline with the current findings",
    )


def run(args: argparse.Namespace) -> int:
    settings = scan_settings(args)
    try:
        result = scan_paths(
            args.paths, settings.rules, jobs=settings.jobs, exclude=settings.exclude
        )
    except FileNotFoundError as err:
        raise UsageError(str(err)) from None

    if args.baseline:
        if args.update_baseline or not args.baseline.exists():
            written = _write(args.baseline, lambda path: baseline.write(path, result))
            print(f"baseline {args.baseline} written with {written} finding(s)", file=sys.stderr)
            result.findings = []
        else:
            try:
                known = baseline.read(args.baseline)
            except baseline.BaselineError as err:
                raise UsageError(str(err)) from None
            result.findings = baseline.new_findings(result, known)
    report = render(result, settings.format)
    if args.output:
        _write(args.output, lambda path: write_atomically(path, report))
    else:
        sys.stdout.writelines(report)
    if result.errors:
        return 2
    return 1 if fails(result.findings, settings.fail_on) else 0


def _write(path: Path, write):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write(path)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror}") from None
