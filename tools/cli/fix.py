"""`tf2rec fix`: apply the fixes that are exact; a dry run printing a diff unless --write.

Exit codes: 0 nothing to do and no finding left at or above --fail-on; 1 changes pending (a dry
run) or such findings left; 2 usage error, or a file that could not be read or written.
"""

from __future__ import annotations

import argparse
import sys

from tf2rec.tools.cli.options import add_scan_arguments, fails, scan_settings
from tf2rec.tools.errors import UsageError
from tf2rec.tools.scan.fixer import write_fixes
from tf2rec.tools.scan.rule import Severity
from tf2rec.tools.scan.runner import discover, fix_paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scan_arguments(
        parser,
        fail_on_help="lowest severity of a finding left after fixing that makes the "
        "exit code 1 (default: info)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--diff", action="store_true", help="print the changes as a unified diff (the default)"
    )
    mode.add_argument("--write", action="store_true", help="apply the changes to the files")
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also apply fixes that change what the program does on purpose (`tf2rec rules` "
        "says which rules have one)",
    )


def run(args: argparse.Namespace) -> int:
    settings = scan_settings(args)
    try:
        files = discover(args.paths, settings.exclude)
    except FileNotFoundError as err:
        raise UsageError(str(err)) from None
    results = fix_paths(files, settings.rules, jobs=settings.jobs, unsafe_fixes=args.unsafe_fixes)
    if args.write:
        write_fixes(results, roots=args.paths)
    else:
        for result in results:
            if result.changed:
                sys.stdout.write(result.diff())
    changed = [r for r in results if r.changed]
    left = [f for r in results if not r.error for f in r.remaining]
    for result in results:
        if result.error:
            print(f"error: {result.path}: {result.error}", file=sys.stderr)
    blocking = sum(f.severity == Severity.ERROR for f in left)
    unparsed = sum(any(f.rule_id == "TF001" for f in r.remaining) for r in results)
    verb = "Fixed" if args.write else "Would fix"
    print(
        f"{verb} {sum(len(r.applied) for r in changed)} finding(s) in {len(changed)} file(s); "
        f"{len(left)} finding(s) need a manual change (`tf2rec scan` lists them): {blocking} "
        f"blocking (errors), {len(left) - blocking} for compat mode (warnings, info)"
        + (f"; {unparsed} file(s) do not parse" if unparsed else "")
        + "."
        + ("" if args.write or not changed else " Run with --write to apply."),
        file=sys.stderr,
    )
    if any(r.error for r in results):
        return 2
    pending = changed and not args.write
    return 1 if pending or fails(left, settings.fail_on) else 0
