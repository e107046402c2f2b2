"""Scan one file: parse with libcst, resolve names through imports, let every rule look.

Files that mention neither `tensorflow` nor `keras` are only checked to parse. A file that
does not parse is one finding (TF001), never a crash, and is never written.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable

import libcst as cst

from tests.scan.old_engine.names import Bindings, canonical, dotted
from tests.scan.old_engine.positions import ast_spans, cst_key
from tests.scan.old_engine.rule import FileContext, Finding, Rule, Severity
from tests.scan.old_engine.rules.syntax import SyntaxErrorRule
from tests.scan.old_engine.star_imports import star_bindings
from tests.scan.old_engine.walk import children

# a file that names TensorFlow or Keras, or star-imports a module that may bind them
_MENTIONS = re.compile(r"\b(tensorflow|keras)\b|^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*", re.M)
_PYTHON2 = [
    (re.compile(r"^\s*print\s+(?![\s(=])\S"), "a Python 2 print statement"),
    (re.compile(r"^\s*print\s*$"), "a Python 2 print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "Python 2 `except X, e:`"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "Python 2 `raise X, message`"),
    (re.compile(r"^\s*exec\s+[\"'\w]"), "a Python 2 exec statement"),
    (re.compile(r"<>"), "the Python 2 `<>` operator"),
    (re.compile(r"`[^`\n]+`"), "Python 2 backquotes"),
    (re.compile(r"\b\d+[lL]\b"), "a Python 2 long literal"),
    (re.compile(r"(?<![\w.])0\d+\b"), "a Python 2 octal literal"),
]


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

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        """A parameter named like an imported API (`def layer(x, batch_norm=True)`) is a
        local name inside its function: not a reference to the API."""
        self.not_references.add(id(node.name))
        for child in (*node.decorators, node.params, *([node.returns] if node.returns else [])):
            self.walk(child)
        params = node.params
        names = {
            p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        }
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        shadowed = {
            n: self.ctx.bindings.names.pop(n) for n in names if n in self.ctx.bindings.names
        }
        self.walk(node.body)
        self.ctx.bindings.names.update(shadowed)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.default is not None:
            self.walk(node.default)
        if node.annotation is not None:
            self.walk(node.annotation)
        return False

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
        """`sess = tf.Session()`, `self.graph = tf.Graph()`: remember who holds one."""
        for held, test in (
            (self.ctx.sessions, self.ctx.is_session),
            (self.ctx.graphs, self.ctx.is_graph),
        ):
            if isinstance(node.value, cst.Call) and test(node.value):
                held.update(filter(None, (dotted(t.target) for t in node.targets)))
        namespace = self.ctx.dataset_namespace(node.value)
        if namespace is not None:
            for target in filter(None, (dotted(t.target) for t in node.targets)):
                self.ctx.datasets[target] = namespace

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and self.ctx.is_session(node.item):
            name = dotted(node.asname.name)
            if name is not None:
                self.ctx.sessions.add(name)


def mentions_tensorflow(source: str) -> bool:
    """Whether the rules need to look at the file (the others are only parsed)."""
    return _MENTIONS.search(source) is not None


def scan_source(path: str, source: str, rules: Iterable[Rule]) -> list[Finding]:
    """Findings for one file's text, sorted by position. Never raises for bad code.

    Every file is parsed, so that one that is not Python 3 is reported whether or not it
    mentions TensorFlow (a Python 2 helper module breaks the migrated project too); the
    rules look only at files that mention `tensorflow` or `keras`.
    """
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError) as err:  # ValueError: NUL bytes
        return syntax_findings(path, source, err)
    if not mentions_tensorflow(source):
        return []
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as err:
        return syntax_findings(path, source, err)
    return analyze(path, source, tree, module, rules)[0]


def analyze(
    path: str,
    source: str,
    tree: ast.AST,
    module: cst.Module,
    rules: Iterable[Rule],
    *,
    unsafe_fixes: bool = False,
) -> tuple[list[Finding], FileContext]:
    """Findings of a parsed file, and the context holding their fixes (with
    `unsafe_fixes`, those of rules whose fix is not safe too)."""
    ctx = FileContext(
        path,
        Bindings(star=functools.partial(star_bindings, path)),
        module=module,
        unsafe_fixes=unsafe_fixes,
    )
    rules = list(rules)
    visitor = _Visitor(ctx, rules)
    visitor.walk(module)
    for rule in rules:
        rule.finish(ctx)
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


def syntax_findings(
    path: str, source: str, error: SyntaxError | ValueError | cst.ParserSyntaxError
) -> list[Finding]:
    """The TF001 finding for a file that CPython's parser (or, rarely, libcst's) rejects.

    CPython's parser runs first: it is fast, words the error best, and rejects Python 2
    constructs (`except X, e:`) that libcst would accept.
    """
    if isinstance(error, cst.ParserSyntaxError):
        line, column = error.raw_line, error.raw_column + 1
        reason = error.message.splitlines()[0]
    else:
        line = getattr(error, "lineno", None) or 1
        column = max(getattr(error, "offset", None) or 1, 1)
        reason = getattr(error, "msg", str(error))
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = next((why for pattern, why in _PYTHON2 if pattern.search(text)), None)
    if hint is None:  # the error may sit after the Python 2 construct
        hint = next(
            (why for pattern, why in _PYTHON2[:5] for t in lines if pattern.search(t)), None
        )
    detail = f"{reason} (line {line} has {hint}: this looks like Python 2)" if hint else reason
    return [
        Finding(
            path,
            line,
            column,
            SyntaxErrorRule.id,
            Severity.ERROR,
            SyntaxErrorRule.message.format(name=detail),
            line,
            column,
        )
    ]
