"""`tf2rec rules [ID]`: the scanner's rules, one per line, or one rule's page (what it finds,
why, an example, what to use instead, its severity and whether its fix is safe)."""

from __future__ import annotations

import argparse
import sys

import tf2rec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", nargs="?", help="a rule id (e.g. TF101); all when omitted")


def run(args: argparse.Namespace) -> int:
    if args.rule is None:
        for rule in tf2rec.RULES:
            fix = ("fix" if rule.safe_fix else "unsafe fix") if rule.fixable() else ""
            print(
                f"{rule.id}  {rule.severity_label():<13}  {fix:<10}  {rule.name:<24} "
                f"{rule.summary()}"
            )
        return 0
    sys.stdout.write(tf2rec.rule_page(tf2rec.rule(args.rule)))
    return 0
