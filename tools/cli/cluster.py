"""`tf2rec cluster local`: run a command as every process of a tf.distribute cluster on this
machine, each with its `TF_CONFIG` (`tools/cluster.py`)."""

from __future__ import annotations

import argparse

import tf2rec
from tf2rec.tools.cli.options import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_subparsers(dest="where", metavar="WHERE", required=True)
    local = which.add_parser(
        "local",
        help="processes on localhost",
        description="Start COMMAND as every task of a cluster on localhost, each with its "
        "TF_CONFIG: WORKERS workers (worker 0 the chief), or with --ps a chief, WORKERS workers "
        "and PS parameter servers; stop them all when one fails or the run ends.",
    )
    local.add_argument("--workers", type=positive_int, default=2, help="workers (default 2)")
    local.add_argument(
        "--ps", type=positive_int, default=0, help="parameter servers (and a chief); default none"
    )
    local.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="what each one runs"
    )


def run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return tf2rec.run_local_cluster(args.workers, command, ps=args.ps)
