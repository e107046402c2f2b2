"""Every scanner rule, by id."""

from __future__ import annotations

from tf2rec.tools.scan.rule import REGISTERED, Rule
from tf2rec.tools.scan.rules import (  # noqa: F401  (importing a module registers its rules)
    distributed,
    inputs,
    keras2,
    meaning,
    placeholders,
    removed,
    renames,
    sessions,
    syntax,
    training,
    variables,
)

RULES: list[type[Rule]] = sorted(REGISTERED, key=lambda r: r.id)
RULES_BY_ID: dict[str, type[Rule]] = {r.id: r for r in RULES}
assert len(RULES_BY_ID) == len(RULES), "duplicate rule id"
