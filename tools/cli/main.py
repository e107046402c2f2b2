"""`tf2rec`: the entry point. Each command is a module of this package, listed in COMMANDS.

Exit codes: 0 success, 1 findings/failed checks (where a command defines them), 2 usage or
input errors. User mistakes (`tf2rec.UsageError` and its subclasses, raised by the library
where the mistake is found) print one clear line on stderr, never a traceback; so does an
unexpected error, whose traceback `--debug` shows.
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

import tf2rec
from tf2rec.tools.cli.help_format import DefaultsHelpFormatter

# name -> (module in this package, one-line help). A command's module is imported only when
# it runs, so a command that needs no TensorFlow never pays for importing it.
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("scan", "report TF1 / Keras 2 idioms with their TF2 replacement"),
    "fix": ("fix", "apply the safe fixes (dry run with a diff by default)"),
    "rules": ("rules", "list the scanner's rules, or explain one"),
    "train": ("train", "train the migrated Keras 3 recommender (main job)"),
    "recommend": ("recommend", "top-K items for a user of a model"),
    "legacy-train": ("legacy_train", "train the TF1 graph-mode model (reference)"),
    "convert": ("convert", "legacy checkpoint <-> migrated weights"),
    "parity": ("parity", "prove the migrated model equals the legacy"),
    "data": ("data", "inspect an interaction log: counts and split sizes"),
    "cluster": ("cluster", "run a command as a tf.distribute cluster on localhost"),
    "bench": ("bench", "speed benchmarks: train (vs legacy), scan"),
}


def _version() -> str:
    try:
        return version("tf2rec")
    except PackageNotFoundError:
        return "unknown"


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush of it at exit into the closed pipe
    prints nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C is, so that a command's worker pool is
    shut down as it unwinds (killed at once, its workers stayed behind, blocked on a pipe
    to the dead parent)."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
    raise Terminated


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tf2rec",
        description="Move a TF1 recommender to TensorFlow 2 / Keras 3: scan, prove, train.",
    )
    parser.add_argument("--version", action="version", version=f"tf2rec {_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # anywhere: `tf2rec --debug scan .` or `tf2rec scan . --debug`
    argv = [arg for arg in argv if arg != "--debug"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    parser = build_parser()
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # handles --help, --version and unknown commands (exit 2)
        parser.print_help()
        return 2
    name = argv[0]
    module_name, description = COMMANDS[name]
    command_parser = argparse.ArgumentParser(
        prog=f"tf2rec {name}", description=description, formatter_class=DefaultsHelpFormatter
    )
    if not _current_folder_exists(name):
        return 2
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        sys.stdout = _ClosedStdout()
    if name in ("scan", "fix"):  # their worker pools end only when the parent unwinds
        signal.signal(signal.SIGTERM, _terminate)
    try:
        with tf2rec.extra_needed():  # a module only an extra brings: one line naming the extra
            command = import_module(f"{__package__}.{module_name}")
            command.add_arguments(command_parser)
            args = command_parser.parse_args(argv[1:])
            code = command.run(args)
            sys.stdout.flush()  # a full device or a broken pipe is met here, not at exit
            return code
    except (tf2rec.UsageError, FloatingPointError) as err:  # Floating...: "diverged; lower --lr"
        print(f"tf2rec {name}: error: {err}", file=sys.stderr)
        return 2
    except tf2rec.CommandFailed as err:
        print(f"tf2rec {name}: error: {err}", file=sys.stderr)
        return 1
    except Terminated:
        print(f"tf2rec {name}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print(f"tf2rec {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tf2rec scan . | head`: the reader has what it wanted
        _quiet_stdout()
        return 128 + signal.SIGPIPE  # what a C tool killed by SIGPIPE reports
    except OSError as err:
        if err.filename is not None or not _from_stdout(err):
            return _unexpected(name, err, debug)
        return _stdout_failed(name, err)
    except Exception as err:  # a bug, or a case nobody foresaw: still one line
        return _unexpected(name, err, debug)


def _current_folder_exists(name: str) -> bool:
    """False, after one line saying so, when the folder the shell stood in was deleted."""
    try:
        os.getcwd()
    except FileNotFoundError:
        print(
            f"tf2rec {name}: error: the current folder no longer exists (deleted since the "
            "shell entered it); cd to one that exists",
            file=sys.stderr,
        )
        return False
    return True


def _stdout_failed(name: str, err: OSError) -> int:
    """A write to standard output failed (a full device, a closed descriptor): one line."""
    if not isinstance(sys.stdout, _ClosedStdout):
        _quiet_stdout()  # what is still buffered goes nowhere, not into a traceback at exit
    full = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    advice = (
        "free some space where it goes, or send it elsewhere"
        if full
        else "redirect it to a file, or to /dev/null"
    )
    print(
        f"tf2rec {name}: error: cannot write to standard output ({err.strerror}); {advice}",
        file=sys.stderr,
    )
    return 2


class _ClosedStdout(io.TextIOBase):
    """Standard output when the process was started without one: writing to it fails as a
    write to a closed descriptor does, and is reported as such."""

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def _from_stdout(err: OSError) -> bool:
    """Whether a write to standard output failed: the innermost line of tf2rec's own that
    raised is a `print` without `file=`, or a write or flush of `sys.stdout` (its buffer
    does not keep what failed, so flushing again cannot tell)."""
    if isinstance(sys.stdout, _ClosedStdout) and err.errno == errno.EBADF:
        return True
    frames = traceback.extract_tb(err.__traceback__)
    line = (frames[-1].line or "") if frames else ""
    return (line.startswith("print(") and "file=" not in line) or "sys.stdout." in line


def _unexpected(name: str, err: Exception, debug: bool) -> int:
    """A bug, or a case nobody foresaw: still one line (the traceback with --debug)."""
    if debug:
        raise err
    detail = str(err).splitlines()[0] if str(err) else ""
    print(
        f"tf2rec {name}: unexpected error: {type(err).__name__}"
        + (f": {detail}" if detail else "")
        + " (rerun with --debug for the traceback)",
        file=sys.stderr,
    )
    return 2
