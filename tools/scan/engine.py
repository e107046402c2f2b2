"""Scan one file: parse with libcst, resolve names through imports, let every rule look.

Files that mention neither `tensorflow` nor `keras` are skipped without parsing. A file that
does not parse is one finding (TF001), never a crash, and is never written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from tools.scan import api
from tools.scan.names import Bindings, canonical, dotted
from tools.scan.rule import Finding, Rule, Severity

SESSION_FACTORIES = frozenset(
    {
        "tf.Session",
        "tf.InteractiveSession",
        "tf.train.MonitoredTrainingSession",
        "tf.train.MonitoredSession",
        "tf.train.SingularMonitoredSession",
        "tf.keras.backend.get_session",
        "keras.backend.get_session",
        "tf.get_default_session",
    }
)
_MENTIONS = re.compile(r"\b(tensorflow|keras)\b")


@dataclass
class FileContext:
    """What rules see of the file being scanned, and where they report."""

    path: str
    bindings: Bindings = field(default_factory=Bindings)
    sessions: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    positions: object = None

    def resolve(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """(canonical name, namespace) of a Name/Attribute chain bound through imports."""
        text = dotted(node)
        if text is None:
            return None
        full = self.bindings.resolve(text)
        return canonical(full) if full else None

    def is_session(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            resolved = self.resolve(node.func)
            return resolved is not None and resolved[0] in SESSION_FACTORIES
        return isinstance(node, cst.Name) and (
            node.value in self.sessions or "sess" in node.value.lower()
        )

    def report(
        self,
        rule: Rule,
        node: cst.CSTNode,
        *,
        name: str | None = None,
        namespace: str | None = None,
        message: str | None = None,
    ) -> None:
        severity = rule.severity
        text = message or rule.message.format(name=name or "")
        if (
            not rule.fixed_severity
            and name
            and namespace in ("v1", "v2")
            and not api.exists(name, namespace)
        ):
            severity = Severity.ERROR
            where = "tensorflow.compat.v1" if namespace == "v1" else "tensorflow"
            text += f" (`{name}` no longer exists in TF 2.21's `{where}`)"
        span = self.positions[node]
        self.findings.append(
            Finding(
                self.path,
                span.start.line,
                span.start.column + 1,
                rule.id,
                severity,
                text,
                span.end.line,
                span.end.column + 1,
            )
        )


class _Visitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, ctx: FileContext, rules: list[Rule]) -> None:
        super().__init__()
        self.ctx = ctx
        self.rules = rules

    def visit_Module(self, node: cst.Module) -> None:
        self.ctx.positions = self.metadata[PositionProvider]

    def visit_Import(self, node: cst.Import) -> bool:
        for module in self.ctx.bindings.add_import(node):
            self._imported(node, module)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        for module in self.ctx.bindings.add_import_from(node):
            self._imported(node, module)
        return False

    def _imported(self, node: cst.CSTNode, full: str) -> None:
        resolved = canonical(full)
        if resolved is None:
            return
        for rule in self.rules:
            rule.on_import(self.ctx, node, resolved[0])

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        part: cst.BaseExpression = node
        while isinstance(part, cst.Attribute):  # a.b.c: rules see a.b.c and a.b
            for rule in self.rules:
                rule.on_attribute(self.ctx, part)
            part = part.value
        if isinstance(part, cst.Name):  # a pure chain: one reference, the whole name
            self._reference(node)
        else:  # e.g. tf.Graph().as_default: look inside the call, not at the `.attr` names
            part.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self._reference(node)

    def _reference(self, node: cst.BaseExpression) -> None:
        resolved = self.ctx.resolve(node)
        if resolved is None:
            return
        name, namespace = resolved
        for rule in self.rules:
            rule.on_reference(self.ctx, node, name, namespace)

    def visit_Call(self, node: cst.Call) -> None:
        for rule in self.rules:
            rule.on_call(self.ctx, node)

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # the keyword is a Name too, but not a reference
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.default is not None:
            node.default.visit(self)
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.is_session(node.value):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.ctx.sessions.add(target.target.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if (
            node.asname is not None
            and isinstance(node.asname.name, cst.Name)
            and (self.ctx.is_session(node.item))
        ):
            self.ctx.sessions.add(node.asname.name.value)


def mentions_tensorflow(source: str) -> bool:
    return _MENTIONS.search(source) is not None


def scan_source(path: str, source: str, rules: Iterable[Rule]) -> list[Finding]:
    """Findings for one file's text, sorted by position. Never raises for bad code."""
    from tools.scan.rules.syntax import syntax_findings

    if not mentions_tensorflow(source):
        return []
    broken = syntax_findings(path, source)
    if broken:
        return broken
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as err:
        return syntax_findings(path, source, err)
    ctx = FileContext(path)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(_Visitor(ctx, list(rules)))
    return sorted(set(ctx.findings))
