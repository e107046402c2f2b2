"""Running the `tf2rec` entry point inside a test."""

from tf2rec.tools.cli import main


def exit_code(argv: list[str]) -> int:
    """main()'s return value, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code
