"""The errors tf2rec reports to a person as one line, never as a traceback.

Every error a user can cause (a bad path, option, file or data set) is a `UsageError` or a
subclass of it, raised where the mistake is found, with a message that names the file, line
or value and says what to do. The command line turns each into `tf2rec CMD: error: ...`
(exit 2) in one place; a library caller catches `UsageError`. Here, at the bottom of the
package, so that every layer can raise them.
"""


class UsageError(Exception):
    """A mistake in the user's command, files or data: exit 2."""


class CommandFailed(Exception):
    """Something the command ran failed (the legacy model's process, a timed tool): exit 1.
    The message names it and ends with the last line it printed."""


def last_line(text: str) -> str:
    """The last non-empty line of a process's output (usually the error it died of)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(it printed nothing)"
