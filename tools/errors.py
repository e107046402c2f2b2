"""The errors a command reports as one line on stderr, never as a traceback.

Here rather than in `cli`, so that the commands, which raise them, never import the entry
point that imports them.
"""


class UsageError(Exception):
    """A mistake in the command line or its inputs: exit 2."""


class CommandFailed(Exception):
    """Something the command ran failed (the legacy model's process, a timed tool): exit 1.
    The message names it and ends with the last line it printed."""


def last_line(text: str) -> str:
    """The last non-empty line of a process's output (usually the error it died of)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(it printed nothing)"
