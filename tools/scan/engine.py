"""Scan one file: parse with libcst, resolve names through imports, let every rule look.

Files that mention neither `tensorflow` nor `keras` are skipped without parsing. A file that
does not parse is one finding (TF001), never a crash, and is never written.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import libcst as cst

from tf2rec.tools.scan import api
from tf2rec.tools.scan.names import Bindings, canonical, dotted
from tf2rec.tools.scan.positions import ast_spans, cst_key
from tf2rec.tools.scan.rule import Finding, Rule, Severity
from tf2rec.tools.scan.rules.syntax import syntax_findings
from tf2rec.tools.scan.walk import children

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
    reports: list[tuple[Rule, cst.CSTNode, Severity, str, bool]] = field(default_factory=list)
    # fixes: id(original node) -> (node, function of the updated node returning its new form)
    edits: dict[int, tuple[cst.CSTNode, Callable]] = field(default_factory=dict)
    # `from tensorflow import x` statements whose TF1-only names move to compat.v1
    import_moves: dict[int, tuple[cst.ImportFrom, set[str]]] = field(default_factory=dict)

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
        fix: Callable | None = None,
    ) -> None:
        """Record a finding at `node`. `fix(updated_node)` returns the node's safe
        replacement; without one, a TF1-only name reached through `tensorflow` gets the
        compat.v1 spelling as its fix."""
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
            if fix is None and namespace == "v2" and api.exists(name, "v1"):
                self.reports.append((rule, node, severity, text, self._compat_fix(node)))
                return
        if fix is not None:
            self.edits[id(node)] = (node, fix)
        self.reports.append((rule, node, severity, text, fix is not None))

    def _compat_fix(self, node: cst.CSTNode) -> bool:
        """Spell a TF1-only name through compat.v1, keeping the file's own alias."""
        if isinstance(node, cst.Attribute):
            head, _, rest = dotted(node).partition(".")
            if self.bindings.names.get(head) != "tensorflow":
                return False  # reached through a submodule alias: left to the user
            new = cst.parse_expression(f"{head}.compat.v1.{rest}")
            self.edits[id(node)] = (node, lambda _updated: new)
            return True
        origin = self.bindings.origins.get(node.value) if isinstance(node, cst.Name) else None
        if origin is None or dotted(origin.module).startswith("tensorflow.compat"):
            return False
        self.import_moves.setdefault(id(origin), (origin, set()))[1].add(node.value)
        return True


class _Visitor:
    """Walks the tree once, calling the rules' hooks, and numbers every node that can be
    reported by its key so that `positions` can place it.

    `visit_<Node>` methods run before a node's children; returning False skips them.
    """

    def __init__(self, ctx: FileContext, rules: list[Rule]) -> None:
        self.handlers = {
            getattr(cst, name[6:]): getattr(self, name)
            for name in dir(self)
            if name.startswith("visit_")
        }
        self.ctx = ctx
        self.rules = rules
        self.counts: dict[tuple, int] = {}
        self.keyed: dict[int, tuple[tuple, int]] = {}
        self.not_references: set[int] = set()  # def / class / except names

    def walk(self, node: cst.CSTNode) -> None:
        handler = self.handlers.get(type(node))
        if handler is not None and handler(node) is False:
            return
        for child in children(node):
            self.walk(child)

    def _number(self, node: cst.CSTNode, *aliases: cst.CSTNode) -> None:
        key = cst_key(node)
        if key is None:
            return
        ordinal = self.counts.get(key, 0)
        self.counts[key] = ordinal + 1
        for item in (node, *aliases):
            self.keyed[id(item)] = (key, ordinal)

    def visit_Import(self, node: cst.Import) -> bool:
        self._number(node)
        for module in self.ctx.bindings.add_import(node):
            self._imported(node, module)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        self._number(node)
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
        chain = [node]
        while isinstance(chain[-1].value, cst.Attribute):
            chain.append(chain[-1].value)
        pure = isinstance(chain[-1].value, cst.Name)
        # A pure chain a.b.c is one reference; its parts are placed where it starts.
        self._number(node, *chain[1:]) if pure else self._number(node)
        for part in chain if pure else [node]:
            for rule in self.rules:
                rule.on_attribute(self.ctx, part)
        if pure:
            self._reference(node)
        else:  # e.g. tf.Graph().as_default: look inside the call, not at the `.attr` names
            self.walk(node.value)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.not_references:
            self._number(node)
            self._reference(node)

    def _reference(self, node: cst.BaseExpression) -> None:
        resolved = self.ctx.resolve(node)
        if resolved is None:
            return
        name, namespace = resolved
        for rule in self.rules:
            rule.on_reference(self.ctx, node, name, namespace)

    def visit_Call(self, node: cst.Call) -> None:
        self._number(node)
        for rule in self.rules:
            rule.on_call(self.ctx, node)

    def visit_Arg(self, node: cst.Arg) -> bool:
        self._number(node)
        self.walk(node.value)  # the keyword is a Name too, but not a reference
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.default is not None:
            self.walk(node.default)
        if node.annotation is not None:
            self.walk(node.annotation)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.not_references.add(id(node.name))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.not_references.add(id(node.name))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.not_references.add(id(node.name.name))

    def visit_Global(self, node: cst.Global) -> None:
        self.not_references.update(id(item.name) for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.not_references.update(id(item.name) for item in node.names)

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
    if not mentions_tensorflow(source):
        return []
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError) as err:  # ValueError: NUL bytes
        return syntax_findings(path, source, err)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as err:
        return syntax_findings(path, source, err)
    return analyze(path, source, tree, module, rules)[0]


def analyze(
    path: str, source: str, tree: ast.AST, module: cst.Module, rules: Iterable[Rule]
) -> tuple[list[Finding], FileContext]:
    """Findings of a parsed file, and the context holding their fixes."""
    ctx = FileContext(path)
    visitor = _Visitor(ctx, list(rules))
    visitor.walk(module)
    if not ctx.reports:
        return [], ctx
    spans = ast_spans(tree, source.splitlines())
    findings = set()
    for rule, node, severity, text, fixable in ctx.reports:
        key, ordinal = visitor.keyed[id(node)]
        line, column, end_line, end_column = spans[key][ordinal]
        findings.add(
            Finding(path, line, column, rule.id, severity, text, end_line, end_column, fixable)
        )
    return sorted(findings), ctx
