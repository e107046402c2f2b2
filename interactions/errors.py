"""The input pipeline's error, in a module of its own so that catching it (as the command
line does for every command) never imports numpy or pandas."""

from tf2rec.errors import UsageError


class DataError(UsageError, ValueError):
    """Bad input data; the message names the file, the line and what to do about it."""
