"""`tf2rec rules [ID]`: the scanner's rules, one per line, or one rule's page (why, the
replacement, VALID / INVALID / FIX examples)."""

from __future__ import annotations

import argparse
import sys

from tf2rec.tools.errors import UsageError
from tf2rec.tools.scan.reports import rule_page
from tf2rec.tools.scan.rules import RULES, RULES_BY_ID


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", nargs="?", help="a rule id (e.g. TF101); all when omitted")


def run(args: argparse.Namespace) -> int:
    if args.rule is None:
        for rule in RULES:
            print(
                f"{rule.id}  {rule.severity.label:<7}  {rule.name:<24} "
                f"{rule.message.format(name='...')}"
            )
        return 0
    rule = RULES_BY_ID.get(args.rule.upper())
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r}; `tf2rec rules` lists them")
    sys.stdout.write(rule_page(rule))
    return 0
