"""The `tf2rec` command line. Each part of the kit registers its subcommand here.

Exit codes: 0 success, 1 findings/failed checks (where a command defines them), 2 usage or
input errors. User mistakes print one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

# name -> (module defining `add_parser(subparsers)`, one-line help). Modules are imported only
# when their command runs, so `tf2rec scan` never pays for importing TensorFlow.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("tools.data_cli", "inspect an interaction log: counts, split sizes, bad rows"),
    "legacy-train": ("tools.legacy_cli", "train the TF1 graph-mode model (the reference)"),
}


class UsageError(Exception):
    """A mistake in the command line or its inputs; printed without a traceback, exit 2."""


def _version() -> str:
    try:
        return version("tf2rec")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tf2rec",
        description="Move a TF1 recommender to TensorFlow 2 / Keras 3: scan, prove, train.",
    )
    parser.add_argument("--version", action="version", version=f"tf2rec {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # handles --help, --version and unknown commands (exit 2)
        parser.print_help()
        return 2
    name = argv[0]
    module = import_module(COMMANDS[name][0])
    command_parser = argparse.ArgumentParser(prog=f"tf2rec {name}", description=COMMANDS[name][1])
    run: Callable[[argparse.Namespace], int] = module.configure(command_parser)
    args = command_parser.parse_args(argv[1:])
    from interactions import DataError

    try:
        return run(args)
    except (UsageError, DataError) as err:
        print(f"tf2rec {name}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tf2rec {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
