"""`tf2rec scan`: report every TF1 / Keras 2 idiom with its TF2 replacement.

Exit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage error or unreadable file.
"""

from __future__ import annotations

import argparse
import os
import sys

import tf2rec
from tf2rec.tools.cli.options import add_scan_arguments, path, scan_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_scan_arguments(parser, fail_on_help="lowest severity that makes the exit code 1")
    parser.add_argument(
        "--format", choices=tf2rec.REPORT_FORMATS, help="report format (default: text)"
    )
    parser.add_argument(
        "--json", action="store_const", dest="format", const="json", help="= --format json"
    )
    parser.add_argument("--output", "-o", type=path, help="write the report here, not stdout")
    parser.add_argument(
        "--baseline", type=path, help="report only findings not in this file; written when missing"
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite --baseline with the current findings",
    )


def run(args: argparse.Namespace) -> int:
    settings = scan_settings(args)
    writes_baseline = args.baseline is not None and (
        args.update_baseline or not args.baseline.exists()
    )
    if args.update_baseline and args.baseline is None:
        raise tf2rec.UsageError("--update-baseline needs --baseline FILE")
    outputs = {"--output": args.output, "--baseline": args.baseline if writes_baseline else None}
    if writes_baseline and args.output is not None:
        if os.path.realpath(args.output) == os.path.realpath(args.baseline):
            raise tf2rec.UsageError(
                f"--output {args.output} and --baseline {args.baseline} are the same file; "
                "write the report elsewhere"
            )
    if writes_baseline:
        tf2rec.refuse_inputs({"--output": args.output}, [args.baseline])
        tf2rec.check_baseline_replaceable(args.baseline)
    options = settings.scan_options()
    if writes_baseline:
        report = tf2rec.scan(args.paths, **options, outputs=outputs)
        with tf2rec.output_file(args.baseline, option="--baseline") as path:
            count = tf2rec.write_baseline(path, report.findings)
        print(f"baseline {args.baseline} written with {count} finding(s)", file=sys.stderr)
        report = report.without({f.fingerprint for f in report.findings})
    else:
        report = tf2rec.scan(args.paths, **options, baseline=args.baseline, outputs=outputs)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    pieces = tf2rec.render_report(report, settings.format)
    if args.output:
        with tf2rec.output_file(args.output, option="--output") as path:
            tf2rec.write_atomically(path, "".join(pieces))
    else:
        sys.stdout.writelines(pieces)
    return report.exit_code(settings.fail_on)
