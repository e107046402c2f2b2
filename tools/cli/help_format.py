"""`--help` that shows every option's default, as ruff and pip do.

argparse's `ArgumentDefaultsHelpFormatter` shows a default only beside a help text; this one
shows it for every option that has a default worth showing (not None, not a flag's False).
"""

from __future__ import annotations

import argparse


def _shows_default(action: argparse.Action) -> bool:
    return bool(action.option_strings) and action.default not in (None, False, argparse.SUPPRESS)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    def add_argument(self, action: argparse.Action) -> None:
        if action.help is None and _shows_default(action):
            action.help = "(default: %(default)s)"  # argparse lists no line for help=None
        super().add_argument(action)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or not _shows_default(action):
            return text
        return f"{text} (default: %(default)s)"
