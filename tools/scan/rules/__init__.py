"""Every scanner rule, by id."""

from __future__ import annotations

from tf2rec.errors import UsageError
from tf2rec.tools.scan.rule import REGISTERED, Rule
from tf2rec.tools.scan.rules import (  # noqa: F401  (importing a module registers its rules)
    distributed,
    inputs,
    keras2,
    meaning,
    placeholders,
    python2,
    removed,
    renames,
    run_as_tf1,
    sessions,
    syntax,
    tf1_meaning,
    training,
    variables,
)

RULES: list[type[Rule]] = sorted(REGISTERED, key=lambda r: r.id)
RULES_BY_ID: dict[str, type[Rule]] = {r.id: r for r in RULES}
assert len(RULES_BY_ID) == len(RULES), "duplicate rule id"


def rule(rule_id: str) -> type[Rule]:
    """The rule with this id (any case)."""
    found = RULES_BY_ID.get(rule_id.upper())
    if found is None:
        raise UsageError(f"unknown rule {rule_id!r}; `tf2rec rules` lists them")
    return found
