"""A reader that stops early (`tf2rec scan . | head -1`) is not an error.

When the other end of stdout closes, the next write raises `BrokenPipeError`, and so would
Python's final flush at exit. `pipe_closed()` points stdout at /dev/null so that nothing
more is written, and gives the exit code a shell reports for a process ended by SIGPIPE.
"""

from __future__ import annotations

import os
import sys

EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE, what `yes | head -1` reports for `yes`


def pipe_closed() -> int:
    """Silence stdout for the rest of the process; return the exit code to end with."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (a test's capture)
        pass
    return EXIT_BROKEN_PIPE
