"""What a rule is, and what it reports.

A rule is a small class: an id, a severity, a one-line message, the TF2 / Keras 3
replacement, and VALID / INVALID code examples that the tests run and `tf2rec rules ID`
prints. Most rules only list the TensorFlow names they are about (`names`, `prefixes`);
the others override one of the hooks the scanner calls (`on_call`, `on_attribute`,
`on_import`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

import libcst as cst

from tests.scan.old_engine.names import Bindings, canonical, dotted
from tf2rec.tools.scan import api


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
    # Severity is decided by the table of TF 2.21 names (error when the name is gone from
    # the namespace it is reached through); a rule can pin it instead.
    fixed_severity: ClassVar[bool] = False
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str]] = []
    FIXES: ClassVar[list[tuple[str, str]]] = []  # (before, after) for rules with a fix
    # False: the fix changes what the program does on purpose (ruff's "unsafe" fixes);
    # `tf2rec fix` applies it only with --unsafe-fixes
    safe_fix: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "id" in cls.__dict__:
            REGISTERED.append(cls)

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

    def finish(self, ctx: FileContext) -> None:
        """After the whole file was seen: for rules that judge the file as a whole."""


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
class FileContext:
    """What rules see of the file being scanned, and where they report."""

    path: str
    bindings: Bindings = field(default_factory=Bindings)
    module: cst.Module | None = None  # the file's tree, for fixes that add statements
    unsafe_fixes: bool = False  # record the fixes of rules whose fix is not safe
    sessions: set[str] = field(default_factory=set)  # names / attributes holding one
    graphs: set[str] = field(default_factory=set)
    datasets: dict[str, str] = field(default_factory=dict)  # name -> namespace it was built in
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
        """A session: made by a session factory, or a name or attribute (`self.sess`) one
        was assigned to, or whose last part says "sess"."""
        return self._holds(node, SESSION_FACTORIES, self.sessions, "sess")

    def is_graph(self, node: cst.BaseExpression) -> bool:
        """A graph, as `is_session` tells a session (`self.graph = tf.Graph()`)."""
        return self._holds(node, GRAPH_FACTORIES, self.graphs, "graph")

    def dataset_namespace(self, node: cst.BaseExpression) -> str | None:
        """ "v1" / "v2" when `node` is a `tf.data` dataset built through that namespace: a
        chain such as `tf.data.Dataset.range(9).batch(3)`, or a name assigned one."""
        while True:
            if isinstance(node, cst.Call):
                node = node.func
                continue
            resolved = self.resolve(node) if isinstance(node, cst.Attribute | cst.Name) else None
            if resolved is not None and resolved[0].startswith("tf.data."):
                return resolved[1]
            text = dotted(node)
            if text is not None and text in self.datasets:
                return self.datasets[text]
            if not isinstance(node, cst.Attribute):
                return None
            node = node.value

    def _holds(self, node, factories: frozenset[str], assigned: set[str], word: str) -> bool:
        if isinstance(node, cst.Call):
            resolved = self.resolve(node.func)
            return resolved is not None and resolved[0] in factories
        text = dotted(node)
        if text is None or self.resolve(node) is not None:  # `tf.Session` is not one
            return False
        return text in assigned or word in text.rpartition(".")[2].lower()

    def report(
        self,
        rule: Rule,
        node: cst.CSTNode,
        *,
        name: str | None = None,
        namespace: str | None = None,
        message: str | None = None,
        fix: Callable | None = None,
        severity: Severity | None = None,
        fix_node: cst.CSTNode | None = None,
        import_moved: bool = False,
    ) -> None:
        """Record a finding at `node`. `fix(updated_node)` returns the node's safe
        replacement; without one, a TF1-only name reached through `tensorflow` gets the
        compat.v1 spelling as its fix; `fix_node` is the node the fix replaces when it is not
        `node`; `import_moved` says the fix is a `move_import` already recorded. `severity`
        overrides the rule's for this finding.
        A name reached through compat.v1 is shown as written (`tf.compat.v1.placeholder`),
        so that after a fix the message names what is in the file."""
        severity = severity or rule.severity
        shown = name
        if name and namespace == "v1" and "compat" in (dotted(node) or ""):
            shown = "tf.compat.v1" + name[2:]
        text = message or rule.message.format(name=shown or "")
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
        if fix is not None and not (rule.safe_fix or self.unsafe_fixes):
            fix = None
        if fix is not None:
            target = fix_node or node
            self.edits[id(target)] = (target, fix)
        self.reports.append((rule, node, severity, text, fix is not None or import_moved))

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
        return origin is not None and self.move_import(origin, node.value)

    def move_import(self, origin: cst.ImportFrom, local: str) -> bool:
        """Fix `from tensorflow[.x] import <local>` to import it from compat.v1."""
        if dotted(origin.module).startswith("tensorflow.compat"):
            return False
        self.import_moves.setdefault(id(origin), (origin, set()))[1].add(local)
        return True
