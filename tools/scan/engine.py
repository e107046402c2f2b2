"""Scan one file: parse it with CPython's `ast`, resolve names through imports, let every
rule look.

Files that mention neither `tensorflow` nor `keras` are only checked to parse. A file that
does not parse is one finding (TF001); one nested too deeply for CPython's parser is one
finding too (TF002); neither stops a run, and neither is ever written. The walk keeps its
own stack, so any depth CPython parses is scanned.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tf2rec.tools.scan.names import Bindings, canonical, dotted
from tf2rec.tools.scan.parse import parse_pieces
from tf2rec.tools.scan.positions import Positions
from tf2rec.tools.scan.python2 import Conversion, is_python2, to_python3
from tf2rec.tools.scan.rule import FileContext, Finding, Rule, Severity
from tf2rec.tools.scan.rules.python2 import check_python2, syntax_edit_findings
from tf2rec.tools.scan.rules.syntax import SyntaxErrorRule, TooDeepRule
from tf2rec.tools.scan.star_imports import star_bindings

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
# fields that hold no node a rule looks at (contexts, operators), or names and numbers
_SKIP_FIELDS = frozenset(
    {"ctx", "op", "ops", "type_ignores", "type_comment", "id", "attr", "arg", "name"}
    | {"names", "module", "level", "kind", "is_async", "conversion", "kwd_attrs", "asname"}
)


# node class -> the fields the walk looks in, last first, each with whether it holds a list
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _child_fields(node: ast.AST) -> tuple[tuple[str, bool], ...]:
    """The fields of `node`'s class that hold nodes, last first, each with whether it is a
    list (of nodes only: the lists that may hold None have visitors of their own)."""
    names = [f for f in type(node)._fields if f not in _SKIP_FIELDS]
    return tuple((f, isinstance(getattr(node, f, None), list)) for f in reversed(names))


@dataclass
class _Hooks:
    """Which rules each hook concerns, as positions in the list of rules: worked out once per
    set of rules, not per file."""

    listing: tuple[int, ...]  # rules that only list names (the default `on_reference`)
    references: tuple[int, ...]  # rules with an `on_reference` of their own
    imports: tuple[int, ...]
    bound_calls: tuple[int, ...]  # `on_call` for calls of names bound through imports
    calls: dict[str, tuple[int, ...]]  # ".method" / "keyword=" -> rules whose `on_call` sees it
    attributes: dict[str, tuple[int, ...]]  # attribute name -> rules whose `on_attribute` does
    # name -> (the rules of `listing` about it, the name they match: itself, else the class or
    # module it is an attribute of, `tf.Session` for `tf.Session.run`)
    by_name: dict[str, tuple[list[int], str]] = field(default_factory=dict)


@functools.lru_cache(maxsize=16)
def _hooks(types: tuple[type[Rule], ...]) -> _Hooks:
    def overriding(hook: str) -> tuple[int, ...]:
        return tuple(i for i, t in enumerate(types) if getattr(t, hook) is not getattr(Rule, hook))

    calls: dict[str, list[int]] = {}
    attributes: dict[str, list[int]] = {}
    for i in overriding("on_call"):
        for trigger in types[i].calls or ():
            calls.setdefault(trigger, []).append(i)
    for i, rule in enumerate(types):
        for attribute in rule.attributes:
            attributes.setdefault(attribute, []).append(i)
    references = overriding("on_reference")
    return _Hooks(
        listing=tuple(i for i in range(len(types)) if i not in references),
        references=references,
        imports=overriding("on_import"),
        bound_calls=tuple(i for i in overriding("on_call") if types[i].calls is None),
        calls={k: tuple(v) for k, v in calls.items()},
        attributes={k: tuple(v) for k, v in attributes.items()},
    )


class _Mark:
    """A step on the walk's stack that is not a node: run `action` when reached."""

    __slots__ = ("action",)

    def __init__(self, action) -> None:
        self.action = action


class _Visitor:
    """Walks the trees once, in source order, calling the rules' hooks.

    `visit_<Node>` methods run before a node's children; they return the children to walk
    (None: all of them).
    """

    def __init__(self, ctx: FileContext, rules: list[Rule]) -> None:
        self.ctx = ctx
        self.rules = rules
        self.hooks = _hooks(tuple(type(r) for r in rules))
        self.statements = 0  # top-level statements seen
        self.leading = True  # still in the leading docstring and imports
        self.previous_end = self.line_start = 0
        self.top: ast.stmt | None = None  # the top-level statement being walked
        self.depth = 0  # functions and classes the walk is in

    def walk(self, tree: ast.AST) -> None:
        stack: list = [tree]
        handlers = _HANDLERS
        fields = _FIELDS
        AST, Name, Constant, Load = ast.AST, ast.Name, ast.Constant, ast.Load
        bound = self.ctx.bindings.names
        try:
            while stack:
                node = stack.pop()
                kind = type(node)
                if kind is Name:  # the commonest node, mostly a local variable
                    if node.id in bound and type(node.ctx) is Load:  # `layers = None`: no use
                        self._reference(node)
                    continue
                if kind is Constant:
                    continue
                if kind is _Mark:
                    node.action()
                    continue
                handler = handlers.get(kind)
                children = handler(self, node) if handler is not None else None
                if children is not None:
                    stack.extend(reversed(children))
                    continue
                layout = fields.get(kind)
                if layout is None:
                    layout = fields[kind] = _child_fields(node)
                for name, many in layout:  # pushed last first: popped in source order
                    value = getattr(node, name)
                    if many:
                        stack.extend(reversed(value))
                    elif isinstance(value, AST):  # not None, nor a name (`rest`)
                        stack.append(value)
        finally:
            self.ctx.resolved.clear()  # ids of this tree's nodes may come back in the next

    def visit_Module(self, node: ast.Module) -> list:
        steps = []
        for statement in node.body:
            steps.append(_Mark(functools.partial(self._top_level, statement)))
            steps.append(statement)
        return steps

    def _top_level(self, statement: ast.stmt) -> None:
        """Note what fixes at module level need: the end of the leading imports (and
        docstring), and whether the file is a script."""
        ctx = self.ctx
        self.top = statement
        if self.leading:
            docstring = (
                self.statements == 0
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            )
            if docstring or isinstance(statement, ast.Import | ast.ImportFrom):
                if statement.lineno > self.previous_end:
                    self.line_start = statement.lineno  # first line of `import a; import b`
                ctx.entry_line = statement.end_lineno
            else:
                self.leading = False
                if statement.lineno == ctx.entry_line:  # `import x; y = 1`: not all imports
                    ctx.entry_line = self.line_start - 1
            self.previous_end = statement.end_lineno
        self.statements += 1
        if _is_main(statement):
            ctx.script = True

    def visit_Import(self, node: ast.Import) -> tuple:
        for module in self.ctx.bindings.add_import(node):
            self._imported(node, module)
        self._bound()
        return ()

    def visit_ImportFrom(self, node: ast.ImportFrom) -> tuple:
        for module in self.ctx.bindings.add_import_from(node):
            self._imported(node, module)
        self._bound()
        return ()

    def _bound(self) -> None:
        """Note where module-level imports (those of a star import too) bind names."""
        if self.depth == 0:  # an import inside a module-level `if` / `try` counts
            for local in self.ctx.bindings.names:
                self.ctx.bound_at.setdefault(local, self.top.end_lineno)

    def _imported(self, node: ast.Import | ast.ImportFrom, full: str) -> None:
        resolved = canonical(full)
        if resolved is None:
            return
        for index in self.hooks.imports:
            self.rules[index].on_import(self.ctx, node, resolved[0])

    def visit_Attribute(self, node: ast.Attribute) -> tuple:
        chain = [node]
        while type(chain[-1].value) is ast.Attribute:
            chain.append(chain[-1].value)
        head = chain[-1].value
        pure = type(head) is ast.Name
        for part in chain if pure else [node]:
            for index in self.hooks.attributes.get(part.attr, ()):
                self.rules[index].on_attribute(self.ctx, part)
        if not pure:  # e.g. tf.Graph().as_default: look inside the call
            return (head,)
        if head.id in self.ctx.bindings.names:  # a pure chain a.b.c is one reference
            self._reference(node)
        return ()

    def _reference(self, node: ast.expr) -> None:
        resolved = self.ctx.resolve(node)
        if resolved is None:
            return
        name, namespace = resolved
        rules, hooks = self.rules, self.hooks
        found = hooks.by_name.get(name)
        if found is None:
            found = hooks.by_name[name] = _listing_rules(rules, hooks.listing, name)
        matching, listed = found
        for index in matching:
            rules[index].on_reference(self.ctx, node, listed, namespace)
        for index in hooks.references:
            rules[index].on_reference(self.ctx, node, name, namespace)

    def visit_Call(self, node: ast.Call) -> None:
        ctx, func, triggers = self.ctx, node.func, self.hooks.calls
        seen: list[int] = []
        if ctx.resolve(func) is not None:
            seen += self.hooks.bound_calls
        if type(func) is ast.Attribute:
            seen += triggers.get("." + func.attr, ())
        for keyword in node.keywords:
            if keyword.arg is not None:
                seen += triggers.get(keyword.arg + "=", ())
        for index in sorted(set(seen)) if len(seen) > 1 else seen:
            self.rules[index].on_call(ctx, node)

    def visit_arguments(self, node: ast.arguments) -> list:
        """Parameters and their defaults (a keyword-only parameter without one is None)."""
        return [
            *node.posonlyargs,
            *node.args,
            *([node.vararg] if node.vararg else []),
            *node.kwonlyargs,
            *(d for d in node.kw_defaults if d is not None),
            *([node.kwarg] if node.kwarg else []),
            *node.defaults,
        ]

    def visit_Dict(self, node: ast.Dict) -> list:
        return [
            item
            for key, value in zip(node.keys, node.values, strict=True)
            for item in (key, value)
            if item is not None
        ]

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list:
        """A parameter named like an imported API (`def layer(x, batch_norm=True)`) is a
        local name inside its function: not a reference to the API."""
        params = node.args
        names = {a.arg for a in (*params.posonlyargs, *params.args, *params.kwonlyargs)}
        names.update(a.arg for a in (params.vararg, params.kwarg) if a is not None)
        bound = self.ctx.bindings.names
        shadowed: dict[str, str] = {}

        def enter() -> None:
            shadowed.update((n, bound.pop(n)) for n in names if n in bound)
            self.depth += 1

        def leave() -> None:
            bound.update(shadowed)
            self.depth -= 1

        returns = [node.returns] if node.returns else []
        return [
            *node.decorator_list,
            params,
            *returns,
            _Mark(enter),
            *node.body,
            _Mark(leave),
        ]

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> list:
        return [
            *node.decorator_list,
            *node.bases,
            *node.keywords,
            _Mark(functools.partial(self._nest, 1)),
            *node.body,
            _Mark(functools.partial(self._nest, -1)),
        ]

    def _nest(self, step: int) -> None:
        self.depth += step

    def visit_Assign(self, node: ast.Assign) -> None:
        """`sess = tf.Session()`, `self.graph = tf.Graph()`: remember who holds one."""
        ctx = self.ctx
        targets = [t for t in map(dotted, node.targets) if t is not None]
        if not targets:
            return
        if isinstance(node.value, ast.Call):
            if ctx.is_session(node.value):
                ctx.sessions.update(targets)
            if ctx.is_graph(node.value):
                ctx.graphs.update(targets)
        namespace = ctx.dataset_namespace(node.value)
        if namespace is not None:
            for target in targets:
                ctx.datasets[target] = namespace

    def visit_Try(self, node: ast.Try) -> list:
        """Note the imports of a `try:` whose handler catches an ImportError: the file has a
        fallback for a module that fails to import."""
        guarded = any(_catches_import_error(h.type) for h in node.handlers)
        step = functools.partial(self._guard, 1 if guarded else 0)
        undo = functools.partial(self._guard, -1 if guarded else 0)
        return [
            _Mark(step),
            *node.body,
            _Mark(undo),
            *node.handlers,
            *node.orelse,
            *node.finalbody,
        ]

    visit_TryStar = visit_Try

    def _guard(self, step: int) -> None:
        self.ctx.import_guards += step

    def visit_With(self, node: ast.With | ast.AsyncWith) -> list:
        """Note the statements inside `with graph.as_default():` (graph-only APIs work there
        with eager execution on); the block counts from the item after the graph's."""
        steps: list = []
        entered = 0
        for item in node.items:
            steps.append(item)
            if self._enters_graph(item.context_expr):
                steps.append(_Mark(functools.partial(self._graph_block, 1)))
                entered += 1
        steps += node.body
        steps += [_Mark(functools.partial(self._graph_block, -1))] * entered
        return steps

    visit_AsyncWith = visit_With

    def _enters_graph(self, expr: ast.expr) -> bool:
        """`graph.as_default()`, `tf.Graph().as_default()`, `self.graph.as_default()`."""
        return (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "as_default"
            and self.ctx.is_graph(expr.func.value)
        )

    def _graph_block(self, step: int) -> None:
        self.ctx.graph_blocks += step

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None and self.ctx.is_session(node.context_expr):
            name = dotted(node.optional_vars)
            if name is not None:
                self.ctx.sessions.add(name)


# node class -> the `_Visitor` method for it (functions, not bound methods: a visitor holding
# its own bound methods would be a reference cycle, left to the garbage collector)
_HANDLERS = {
    getattr(ast, name[6:]): getattr(_Visitor, name)
    for name in dir(_Visitor)
    if name.startswith("visit_")
}


def _catches_import_error(caught: ast.expr | None) -> bool:
    """`except ImportError:`, `except (ImportError, AttributeError):`, `except Exception:` or
    a bare `except:`."""
    if caught is None:
        return True
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    catching = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
    return any(isinstance(n, ast.Name) and n.id in catching for n in names)


def _listing_rules(rules: list[Rule], listing: tuple[int, ...], name: str):
    """The listing rules about `name`, or about the longest name it is an attribute of
    (`tf.train.AdamOptimizer.minimize` is TF401's `tf.train.AdamOptimizer`), with that name."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        candidate = ".".join(parts[:end])
        found = [i for i in listing if rules[i].matches(candidate)]
        if found:
            return found, candidate
    return [], name


def _is_main(statement: ast.stmt) -> bool:
    """`if __name__ == "__main__":`"""
    if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
        return False
    test = statement.test
    return (
        isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def mentions_tensorflow(source: str) -> bool:
    """Whether the rules need to look at the file (the others are only parsed)."""
    return _MENTIONS.search(source) is not None


def scan_source(path: str, source: str, rules: Iterable[Rule]) -> list[Finding]:
    """Findings for one file's text, sorted by position. Never raises for bad code.

    Every file is parsed, so that one that is not Python 3 is reported whether or not it
    mentions TensorFlow (a Python 2 helper module breaks the migrated project too); the
    rules look only at files that mention `tensorflow` or `keras`.
    """
    return analyze(path, source, rules)[0]


def scan_file(path: str, source: str, rules: Iterable[Rule]) -> tuple[list[Finding], bool]:
    """`scan_source`'s findings, and whether the file was read as Python 2."""
    findings, ctx = analyze(path, source, rules)
    return findings, ctx is not None and ctx.python2 is not None


def analyze(
    path: str,
    source: str,
    rules: Iterable[Rule],
    *,
    fixing: bool = False,
    unsafe_fixes: bool = False,
    python2: bool = False,
) -> tuple[list[Finding], FileContext | None]:
    """Findings of a file, and the context holding their fixes when `fixing` (with
    `unsafe_fixes`, those of rules whose fix is not safe too); no context when the file
    could not be analysed.

    A file that Python 3 rejects is converted from Python 2 (`python2.to_python3`) and
    analysed in its converted form, its findings mapped back to the original text; so is
    one that parses but uses what only Python 2 has (`xrange`, `cPickle`), or any file when
    `python2` says it was Python 2. The context of a Python 2 file holds the conversion
    (`ctx.python2`): its positions and fixes are those of the converted text.
    """
    rules = list(rules)
    conversion = None
    if python2 or is_python2(source, path):
        conversion = to_python3(source)
    try:
        return _analyze(path, source, rules, conversion, fixing, unsafe_fixes)
    except (SyntaxError, ValueError) as err:  # ValueError: NUL bytes
        if conversion is not None or not isinstance(err, SyntaxError):
            return syntax_findings(path, source, err, conversion), None
        conversion = to_python3(source)
        if not conversion.edits:
            return syntax_findings(path, source, err), None
        try:
            return _analyze(path, source, rules, conversion, fixing, unsafe_fixes)
        except SyntaxError as converted_error:  # neither Python 2 nor Python 3
            return syntax_findings(path, source, err, conversion, converted_error), None
        except (RecursionError, MemoryError) as deep:
            return too_deep_findings(path, deep), None
    except (RecursionError, MemoryError) as err:
        return too_deep_findings(path, err), None


def _analyze(
    path: str,
    source: str,
    rules: list[Rule],
    conversion: Conversion | None,
    fixing: bool,
    unsafe_fixes: bool,
) -> tuple[list[Finding], FileContext | None]:
    """`analyze` of a Python 3 file, or of a Python 2 file's conversion (raises what
    parsing raises)."""
    text = source if conversion is None else conversion.text
    if conversion is None and not mentions_tensorflow(source):
        for _ in parse_pieces(source, path):
            pass
        return [], None
    ctx = FileContext(
        path,
        Positions(text),
        Bindings(star=functools.partial(star_bindings, path)),
        unsafe_fixes=unsafe_fixes,
        keep_fixes=fixing,
        python2=conversion,
    )
    visitor = _Visitor(ctx, rules)
    if conversion is None:
        for tree in parse_pieces(text, path):
            visitor.walk(tree)
    else:  # Python 2 rules judge the module as a whole (what it binds, its __future__)
        tree = parse_pieces(text, path, piece=len(text) + 1).__next__()
        if mentions_tensorflow(source):
            visitor.walk(tree)
        check_python2(ctx, tree, rules)
    for rule in rules:
        rule.finish(ctx)
    findings = sorted({report.finding for report in ctx.reports})
    if conversion is not None:
        findings = sorted(
            {*map(conversion.original_finding, findings), *syntax_edit_findings(ctx, rules)}
        )
    return findings, ctx


def too_deep_findings(path: str, error: RecursionError | MemoryError) -> list[Finding]:
    """The TF002 finding for a file nested too deeply to parse or analyse."""
    reason = (
        "nesting too deep for CPython's parser"
        if isinstance(error, RecursionError)
        else ("not enough memory to analyse it")
    )
    return [_file_finding(path, 1, 1, TooDeepRule, reason)]


def _file_finding(path: str, line: int, column: int, rule: type[Rule], detail: str) -> Finding:
    """The one finding of a file that could not be analysed, at a point."""
    message = rule.message.format(name=detail)
    return Finding(path, line, column, rule.id, Severity.ERROR, message, line, column)


def syntax_findings(
    path: str,
    source: str,
    error: SyntaxError | ValueError,
    conversion: Conversion | None = None,
    converted_error: SyntaxError | None = None,
) -> list[Finding]:
    """The TF001 finding for a file that CPython's parser rejects, with a hint when the
    line looks like Python 2; for one that is not Python 2 either, at the first line that
    is neither (the error of its conversion to Python 3, mapped back)."""
    line = getattr(error, "lineno", None) or 1
    column = max(getattr(error, "offset", None) or 1, 1)
    reason = getattr(error, "msg", str(error))
    if conversion is not None and converted_error is not None:
        line, column = conversion.original_position(
            converted_error.lineno or 1, max(converted_error.offset or 1, 1)
        )
        reason = f"neither Python 3 nor Python 2 ({converted_error.msg} at line {line})"
        return [_file_finding(path, line, column, SyntaxErrorRule, reason)]
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = next((why for pattern, why in _PYTHON2 if pattern.search(text)), None)
    if hint is None:  # the error may sit after the Python 2 construct
        hint = next(
            (why for pattern, why in _PYTHON2[:5] for t in lines if pattern.search(t)), None
        )
    detail = f"{reason} (line {line} has {hint}: this looks like Python 2)" if hint else reason
    return [_file_finding(path, line, column, SyntaxErrorRule, detail)]
