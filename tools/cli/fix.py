"""`tf2rec fix`: apply the fixes that are exact; a dry run printing a diff unless --write.

Exit codes: 0 nothing to do and no finding left at or above --fail-on; 1 changes pending (a dry
run) or such findings left; 2 usage error, or a file that could not be read or written.
"""

from __future__ import annotations

import argparse
import sys

import tf2rec
from tf2rec.tools.cli.options import add_scan_arguments, scan_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scan_arguments(
        parser,
        fail_on_help="lowest severity of a finding left after fixing that makes the exit code 1",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--diff", action="store_true", help="print the changes as a unified diff (the default)"
    )
    mode.add_argument("--write", action="store_true", help="apply the changes to the files")
    parser.add_argument(
        "--break-hard-links",
        action="store_true",
        help="write a file that has other hard links as a file of its own (its other names "
        "keep the old text); without it such a file is left alone",
    )
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also apply fixes that change what the program does on purpose (`tf2rec rules` "
        "says which rules have one)",
    )
    parser.add_argument(
        "--run-as-tf1",
        action="store_true",
        help="keep the program TF1 code and make it run on TF 2.21 as it was: TF1 names "
        "through tf.compat.v1, tf.layers / tf.contrib / tf.nn.rnn_cell from tf2rec.tf1 (so "
        "tf2rec must be installed where it runs), disable_v2_behavior() where it starts",
    )


def run(args: argparse.Namespace) -> int:
    settings = scan_settings(args)
    report = tf2rec.fix(
        args.paths,
        **settings.scan_options(),
        unsafe_fixes=args.unsafe_fixes,
        write=args.write,
        run_as_tf1=args.run_as_tf1,
        break_hard_links=args.break_hard_links,
    )
    if not args.write:
        sys.stdout.write(report.diff())
    for result in report.errors:
        print(f"error: {result.path}: {result.error}", file=sys.stderr)
    if args.run_as_tf1:
        for line in blocking_lines(report):
            print(line, file=sys.stderr)
    print(summary(report), file=sys.stderr)
    return report.exit_code(settings.fail_on)


def summary(report) -> str:
    """One line: what was (or would be) fixed, and what is left for a person."""
    left = report.remaining
    blocking = sum(f.severity == tf2rec.Severity.ERROR for f in left)
    verb = "Fixed" if report.written else "Would fix"
    return (
        f"{verb} {report.applied} finding(s) in {len(report.changed)} file(s); "
        f"{len(left)} finding(s) need a manual change (`tf2rec scan` lists them): {blocking} "
        f"blocking (errors), {len(left) - blocking} for compat mode (warnings, info)"
        + (f"; {report.unparsed} file(s) do not parse" if report.unparsed else "")
        + "."
        + ("" if report.written or not report.changed else " Run with --write to apply.")
    )


def blocking_lines(report) -> list[str]:
    """Each file the TF1 mode could not fully convert, then each line that blocks it."""
    lines = []
    for result in report.files:
        errors = [f for f in result.remaining if f.severity == tf2rec.Severity.ERROR]
        if errors and not result.error:
            lines.append(f"{result.path}: not fully converted, {len(errors)} line(s) to change:")
            lines += [f"  {f.path}:{f.line}:{f.column}: {f.rule_id} {f.message}" for f in errors]
    return lines
