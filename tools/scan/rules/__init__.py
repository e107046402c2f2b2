"""Every scanner rule, by id."""

from __future__ import annotations

from tf2rec.tools.scan.rule import Rule
from tf2rec.tools.scan.rules import (  # noqa: F401  (importing a module registers its rules)
    inputs,
    keras2,
    placeholders,
    removed,
    renames,
    sessions,
    syntax,
    training,
    variables,
)


def _concrete(cls: type[Rule]):
    for sub in cls.__subclasses__():
        if "id" in sub.__dict__:
            yield sub
        yield from _concrete(sub)


RULES: list[type[Rule]] = sorted(_concrete(Rule), key=lambda r: r.id)
RULES_BY_ID: dict[str, type[Rule]] = {r.id: r for r in RULES}
assert len(RULES_BY_ID) == len(RULES), "duplicate rule id"
