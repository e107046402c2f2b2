"""The `tf2rec` command line.

`main` is the entry point; `options` holds what several commands share (argument types, the
data and training options, the model directory they write); every other module is one
command, with a module-level `add_arguments(parser)` and `run(args) -> exit code`.
"""

from tf2rec.tools.cli.main import main

__all__ = ["main"]
