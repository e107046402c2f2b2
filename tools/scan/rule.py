"""What a rule is, and what it reports.

A rule is a small class: an id, a severity, a one-line message, the TF2 / Keras 3
replacement, and VALID / INVALID code examples that the tests run and `tf2rec rules ID`
prints. Most rules only list the TensorFlow names they are about (`names`, `prefixes`);
the others override one of the hooks the scanner calls (`on_call`, `on_attribute`,
`on_import`), which receive CPython `ast` nodes.

A fix is a function of the libcst node parsed from the reported node's text, returning its
replacement; it imports libcst itself, so that a scan never loads it.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, NamedTuple

from tf2rec.tools.scan import tf_api
from tf2rec.tools.scan.finding import Finding, Severity
from tf2rec.tools.scan.names import Bindings, canonical, dotted
from tf2rec.tools.scan.positions import Positions, Span


def example_code(text: str) -> str:
    """A case's code as written in a rule: a string that starts with a newline is an
    indented block (Fixit's convention), dedented; any other string is taken as it is."""
    return textwrap.dedent(text[1:]) if text.startswith("\n") else text


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", example_code(self.code))


class Expect(NamedTuple):
    """One finding a case must produce: where (1-based line and column) and what it says."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report: exactly the findings `expected`, in order; `fixed` is the
    exact text after `tf2rec fix` (with `--unsafe-fixes` for a rule whose fix is unsafe),
    None where the rule fixes nothing in it."""

    code: str
    expected: Sequence[Expect]
    fixed: str | None = None
    path: str = "example.py"  # where the code is (a rule about packages looks around it)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", example_code(self.code))
        object.__setattr__(self, "expected", tuple(self.expected))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", example_code(self.fixed))


# Every concrete rule class (one that sets `id`), in the order defined; `rules.RULES` sorts it.
REGISTERED: list[type[Rule]] = []


class Rule:
    """Base class of every scanner rule. Defining a subclass with an `id` registers it."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    message: ClassVar[str]
    replacement: ClassVar[str]
    migrated: ClassVar[str | None] = None  # the matching class in this project's migrated/
    names: ClassVar[frozenset[str]] = frozenset()
    prefixes: ClassVar[tuple[str, ...]] = ()
    attributes: ClassVar[frozenset[str]] = frozenset()  # `.attr` names `on_attribute` sees
    # the calls `on_call` sees: those with one of these method names (".run") or keywords
    # ("feed_dict="); None: the calls of names bound through imports (`tf.nn.dropout(...)`)
    calls: ClassVar[frozenset[str] | None] = None
    # True: a name gone from the namespace the file reaches it through (the table of TF 2.21
    # names) is reported as an error, whatever `severity` says; False: `severity` always
    severity_from_api_table: ClassVar[bool] = True
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []
    # False: the fix changes what the program does on purpose (ruff's "unsafe" fixes);
    # `tf2rec fix` applies it only with --unsafe-fixes
    safe_fix: ClassVar[bool] = True
    # "migrate": a rule of `scan` and `fix` (towards TF2 / Keras 3); "tf1": a rule of
    # `fix --run-as-tf1` only (the program kept as TF1 code, run by tf2rec.tf1)
    mode: ClassVar[str] = "migrate"
    # why the fix keeps (or, unsafe, changes) what the code does; the rule page prints it
    fix_safety: ClassVar[str] = (
        "The TF1 name is replaced by the TF2 name of the very same object (or its "
        "`tf.compat.v1` spelling), so the program computes what it computed."
    )

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "id" in cls.__dict__:
            REGISTERED.append(cls)

    @classmethod
    def matches(cls, name: str) -> bool:
        """Whether the rule is about `name` (remembered: names repeat)."""
        return _matches(cls, name)

    @classmethod
    def covers(cls, name: str) -> bool:
        """What `matches` answers: `name` is in `names` or below one of `prefixes`."""
        return name in cls.names or any(name == p or name.startswith(p + ".") for p in cls.prefixes)

    @classmethod
    def covered_elsewhere(cls, name: str) -> bool:
        """Whether another rule is about `name`, or what it is an attribute of (and reports
        it with its own message)."""
        return _covered(cls, name)

    @classmethod
    def describe(cls) -> str:
        """Why the rule exists: the class docstring."""
        return " ".join((cls.__doc__ or "").split())

    @classmethod
    def summary(cls) -> str:
        """The rule's message about an example of what it finds (the first name it covers,
        else its first invalid case's), for listings and SARIF's short description."""
        if "{name}" not in cls.message:
            return cls.message
        names = sorted(cls.names) or [f"{prefix}.*" for prefix in cls.prefixes]
        if names:
            return cls.message.format(name=names[0])
        if cls.INVALID and cls.INVALID[0].expected:
            return cls.INVALID[0].expected[0].message
        return cls.message.format(name="...")

    @classmethod
    def fixable(cls) -> bool:
        """Whether `tf2rec fix` rewrites some of what the rule reports (its cases say)."""
        return any(case.fixed is not None for case in cls.INVALID)

    @classmethod
    def severity_label(cls) -> str:
        """The severities the rule reports, as `tf2rec rules` lists them: `error` for a name
        that TF 2.21 lacks where the file reaches it, the rule's own severity otherwise."""
        label = cls.severity.label
        names = (*cls.names, *cls.prefixes)
        if (
            cls.severity_from_api_table
            and cls.severity < Severity.ERROR
            and any(not tf_api.exists(name, "v2") for name in names)
        ):
            return f"error/{label}"
        return label

    # hooks; `ctx.report(...)` records a finding
    def on_reference(self, ctx: FileContext, node: ast.expr, name: str, namespace: str) -> None:
        if self.matches(name):
            ctx.report(self, node, name=name, namespace=namespace)

    def on_call(self, ctx: FileContext, node: ast.Call) -> None:
        pass

    def on_attribute(self, ctx: FileContext, node: ast.Attribute) -> None:
        pass

    def on_import(self, ctx: FileContext, node: ast.Import | ast.ImportFrom, module: str) -> None:
        pass

    def finish(self, ctx: FileContext) -> None:
        """After the whole file was seen: for rules that judge the file as a whole."""


@lru_cache(maxsize=65536)
def _matches(rule: type[Rule], name: str) -> bool:
    return rule.covers(name)


@lru_cache(maxsize=65536)
def _covered(rule: type[Rule], name: str) -> bool:
    """Another rule is about `name`, or about a class or module it is an attribute of."""
    parts = name.split(".")
    return any(
        other is not rule and other.matches(".".join(parts[:end]))
        for end in range(len(parts), 1, -1)
        for other in REGISTERED
    )


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
GRAPH_FACTORIES = frozenset({"tf.Graph", "tf.get_default_graph"})


@dataclass
class Edit:
    """A fix: replace the text at `span` (an expression or a keyword argument, as `kind`
    says) with what `rewrite` makes of its libcst node, or with `rewrite` itself when it is
    a string."""

    span: Span
    kind: str  # "expression" or "keyword"
    rewrite: Callable | str


@dataclass
class Report:
    finding: Finding
    fix: tuple | None  # the key of the fix recorded for it (`FileContext.add_edit`, ...)


@dataclass
class FileContext:
    """What rules see of the file being scanned, and where they report."""

    path: str
    positions: Positions
    bindings: Bindings = field(default_factory=Bindings)
    unsafe_fixes: bool = False  # record the fixes of rules whose fix is not safe
    keep_fixes: bool = False  # keep what the fixes do (for `fix`); a scan only marks them
    sessions: set[str] = field(default_factory=set)  # names / attributes holding one
    graphs: set[str] = field(default_factory=set)
    datasets: dict[str, str] = field(default_factory=dict)  # name -> namespace it was built in
    graph_blocks: int = 0  # `with <graph>.as_default():` blocks the walk is in
    import_guards: int = 0  # `try:` blocks with an `except ImportError:` the walk is in
    # the module level, as the engine saw it go by
    script: bool = False  # has an `if __name__ == "__main__":` block
    entry_line: int = 0  # last line of the leading imports (and docstring)
    bound_at: dict[str, int] = field(default_factory=dict)  # name -> line its import ends
    reports: list[Report] = field(default_factory=list)
    edits: dict[tuple, Edit] = field(default_factory=dict)
    # `from tensorflow import x` statements whose TF1-only names move to compat.v1:
    # span of the statement -> local names moved
    import_moves: dict[Span, set[str]] = field(default_factory=dict)
    insertions: dict[int, str] = field(default_factory=dict)  # after line -> statement
    resolved: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    # a Python 2 file's conversion (`python2.Conversion`): positions are the converted text's
    python2: object | None = None

    def resolve(self, node: ast.expr) -> tuple[str, str] | None:
        """(canonical name, namespace) of a Name/Attribute chain bound through imports.

        Kept per node while its tree is walked (the engine clears it between trees):
        several rules ask about the same call."""
        key = id(node)
        if key in self.resolved:
            return self.resolved[key]
        head = node
        while type(head) is ast.Attribute:
            head = head.value
        found = None
        if type(head) is ast.Name and head.id in self.bindings.names:
            found = self.resolve_text(dotted(node))
        self.resolved[key] = found
        return found

    def resolve_text(self, text: str) -> tuple[str, str] | None:
        full = self.bindings.resolve(text)
        return canonical(full) if full else None

    def is_session(self, node: ast.expr) -> bool:
        """A session: made by a session factory, or a name or attribute (`self.sess`) one
        was assigned to, or whose last part says "sess"."""
        return self._holds(node, SESSION_FACTORIES, self.sessions, "sess")

    def is_graph(self, node: ast.expr) -> bool:
        """A graph, as `is_session` tells a session (`self.graph = tf.Graph()`)."""
        return self._holds(node, GRAPH_FACTORIES, self.graphs, "graph")

    def dataset_namespace(self, node: ast.expr) -> str | None:
        """ "v1" / "v2" when `node` is a `tf.data` dataset built through that namespace: a
        chain such as `tf.data.Dataset.range(9).batch(3)`, or a name assigned one."""
        while isinstance(node, ast.Call | ast.Attribute):  # down to the chain it starts with
            if isinstance(node, ast.Call):
                node = node.func
            elif dotted(node) is None:
                node = node.value
            else:
                break
        if not isinstance(node, ast.Attribute | ast.Name):
            return None
        resolved = self.resolve(node)
        if resolved is not None and resolved[0].startswith("tf.data."):
            return resolved[1]
        if self.datasets:  # `ds.batch(3)`, `self.ds.map(f)`: the longest name assigned one
            parts = dotted(node).split(".")
            for end in range(len(parts), 0, -1):
                namespace = self.datasets.get(".".join(parts[:end]))
                if namespace is not None:
                    return namespace
        return None

    def _holds(self, node, factories: frozenset[str], assigned: set[str], word: str) -> bool:
        if isinstance(node, ast.Call):
            resolved = self.resolve(node.func)
            return resolved is not None and resolved[0] in factories
        text = dotted(node)
        if text is None or self.resolve(node) is not None:  # `tf.Session` is not one
            return False
        return text in assigned or word in text.rpartition(".")[2].lower()

    def report(
        self,
        rule: Rule,
        node: ast.AST,
        *,
        name: str | None = None,
        namespace: str | None = None,
        message: str | None = None,
        fix: Callable | str | None = None,
        severity: Severity | None = None,
        fix_node: ast.AST | None = None,
        fixed_by: tuple | None = None,
    ) -> None:
        """Record a finding at `node`. `fix(node)` returns the safe replacement of the libcst node
        parsed from `node`'s text (or `fix_node`'s, when the fix replaces another node); a string
        `fix` is the replacement text itself. Without one, a TF1-only name reached through
        `tensorflow` gets the compat.v1 spelling as its fix; `fixed_by` is the key of a fix already
        recorded (`move_import`, `insert_statement`). `severity` overrides the rule's. A name
        reached through compat.v1 is shown as written (`tf.compat.v1.placeholder`), so that after a
        fix the message names what is in the file."""
        severity = severity or rule.severity
        span = self.positions.span(node)
        as_written = name
        if name and namespace == "v1" and "compat" in (dotted(node) or ""):
            as_written = "tf.compat.v1" + name[2:]
        text = message or rule.message.format(name=as_written or "")
        if (
            rule.severity_from_api_table
            and name
            and namespace in ("v1", "v2")
            and not tf_api.exists(name, namespace)
        ):
            severity = Severity.ERROR
            where = "tensorflow.compat.v1" if namespace == "v1" else "tensorflow"
            text += f" (`{name}` no longer exists in TF 2.21's `{where}`)"
            if fix is None and fixed_by is None and namespace == "v2" and tf_api.exists(name, "v1"):
                fixed_by = self.compat_fix(node)
        if fix is not None and (rule.safe_fix or self.unsafe_fixes):
            fixed_by = self.add_edit(fix_node or node, fix)
        line, column, end_line, end_column = span
        finding = Finding(
            self.path, line, column, rule.id, severity, text, end_line, end_column, bool(fixed_by)
        )
        self.reports.append(Report(finding, fixed_by))

    def add_edit(self, node: ast.AST, rewrite: Callable | str) -> tuple:
        """Record the fix of `node`'s text; returns its key."""
        span = self.positions.span(node)
        if self.keep_fixes:
            kind = "keyword" if isinstance(node, ast.keyword) else "expression"
            self.edits[("edit", span)] = Edit(span, kind, rewrite)
        return ("edit", span)

    def compat_fix(self, node: ast.AST) -> tuple | None:
        """Spell a TF1-only name through compat.v1, keeping the file's own alias."""
        if isinstance(node, ast.Attribute):
            head, _, rest = dotted(node).partition(".")
            if self.bindings.names.get(head) != "tensorflow":
                return None  # reached through a submodule alias: left to the user
            return self.add_edit(node, f"{head}.compat.v1.{rest}")
        origin = self.bindings.origins.get(node.id) if isinstance(node, ast.Name) else None
        return self.move_import(origin, node.id) if origin is not None else None

    def move_import(self, origin: ast.ImportFrom, local: str) -> tuple | None:
        """Fix `from tensorflow[.x] import <local>` to import it from compat.v1."""
        if origin.module.startswith("tensorflow.compat"):
            return None
        span = self.positions.span(origin)
        if self.keep_fixes:
            self.import_moves.setdefault(span, set()).add(local)
        return ("import", span)

    def insert_statement(self, after_line: int, statement: str) -> tuple:
        """Fix by adding a module-level statement after a line (0: at the top)."""
        if self.keep_fixes:
            self.insertions[after_line] = statement
        return ("insert", after_line)
