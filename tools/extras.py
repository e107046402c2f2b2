"""Which extra of tf2rec brings a missing module, as the one line a command prints.

The base install is the scanner and the fixer; training, parity and the benchmarks need the
extras (`pyproject.toml`). A command that imports what its extra brings, without it, fails
with a `ModuleNotFoundError`; `extra_needed()` turns that into a `MissingExtra` (a
`UsageError`: one line, exit 2) naming the extra to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tf2rec.errors import UsageError

TENSORFLOW = (
    "TensorFlow 2.21, which the base install leaves out: pip install 'tf2rec[tensorflow-cpu]'"
    " (CPU only), 'tf2rec[tensorflow]' (the full build, GPU included), or 'tf2rec[train]'"
    " next to the TensorFlow you have"
)
# top-level module -> (what it is, the extra that brings it)
EXTRAS: dict[str, tuple[str, str]] = {
    "keras": ("Keras 3", "train"),
    "numpy": ("numpy", "train"),
    "pandas": ("pandas", "train"),
    "tensorboard": ("TensorBoard", "train"),
    "pytest": ("pytest", "parity"),
    "threadpoolctl": ("threadpoolctl", "parity"),
    "matplotlib": ("matplotlib", "plot"),
}


class MissingExtra(UsageError):
    """A module that one of tf2rec's extras brings is not installed."""


def missing_extra(err: ModuleNotFoundError) -> str | None:
    """The line that says which extra to install for the module `err` did not find, or None
    when no extra brings it (a bug, or a broken environment: not the user's choice of
    install)."""
    top = (err.name or "").partition(".")[0]
    if top == "tensorflow":
        return f"this command needs {TENSORFLOW}"
    if top not in EXTRAS:
        return None
    what, extra = EXTRAS[top]
    return f"this command needs {what} (the `{extra}` extra): pip install 'tf2rec[{extra}]'"


@contextmanager
def extra_needed() -> Iterator[None]:
    """Raise `MissingExtra` for a module an extra brings; let any other error through."""
    try:
        yield
    except ModuleNotFoundError as err:
        line = missing_extra(err)
        if line is None:
            raise
        raise MissingExtra(line) from err
