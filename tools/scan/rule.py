"""What a rule is, and what it reports.

A rule is a small class: an id, a severity, a one-line message, the TF2 / Keras 3
replacement, and VALID / INVALID code examples that the tests run and `tf2rec rules ID`
prints. Most rules only list the TensorFlow names they are about (`names`, `prefixes`);
the others override one of the hooks the scanner calls (`on_call`, `on_attribute`,
`on_import`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import libcst as cst

    from tf2rec.tools.scan.engine import FileContext


class Severity(IntEnum):
    """error: gone in TF 2.21 / Keras 3; warning: runs only in compat / graph mode; info: style."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; choose error, warning or info") from None


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule_id: str
    severity: Severity
    message: str
    end_line: int = 0
    end_column: int = 0
    fixable: bool = False  # `tf2rec fix` rewrites it safely

    @property
    def rule(self) -> type[Rule]:
        from tf2rec.tools.scan.rules import RULES_BY_ID

        return RULES_BY_ID[self.rule_id]


class Rule:
    """Base class of every scanner rule."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    message: ClassVar[str]
    replacement: ClassVar[str]
    migrated: ClassVar[str | None] = None  # the matching class in this project's migrated/
    names: ClassVar[frozenset[str]] = frozenset()
    prefixes: ClassVar[tuple[str, ...]] = ()
    # Severity is decided by the table of TF 2.21 names (error when the name is gone from
    # the namespace it is reached through); a rule can pin it instead.
    fixed_severity: ClassVar[bool] = False
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []
    FIXES: ClassVar[list[tuple[str, str]]] = []  # (before, after) for rules with a safe fix

    @classmethod
    def matches(cls, name: str) -> bool:
        return name in cls.names or any(name == p or name.startswith(p + ".") for p in cls.prefixes)

    @classmethod
    def describe(cls) -> str:
        """Why the rule exists: the class docstring."""
        return " ".join((cls.__doc__ or "").split())

    # hooks; `ctx.report(...)` records a finding
    def on_reference(self, ctx: FileContext, node: cst.CSTNode, name: str, namespace: str) -> None:
        if self.matches(name):
            ctx.report(self, node, name=name, namespace=namespace)

    def on_call(self, ctx: FileContext, node: cst.Call) -> None:
        pass

    def on_attribute(self, ctx: FileContext, node: cst.Attribute) -> None:
        pass

    def on_import(self, ctx: FileContext, node: cst.CSTNode, module: str) -> None:
        pass
