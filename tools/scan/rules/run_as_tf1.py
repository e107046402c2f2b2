"""The rules of `tf2rec fix --run-as-tf1`: keep the program TF1 code and run it as it was.

The other route, migrating to TF2 / Keras 3, changes the program and proves the change by
parity. This one changes only spellings: TF1 names that TF 2.21 still has are spelled
through `tf.compat.v1` (the very objects TF 1.15 had; TF2's same-named initializers,
`tf.where` and `tf.summary` mean something else), the modules TF 2.21 lost (`tf.layers`,
`tf.contrib`, `tf.nn.rnn_cell`) come from tf2rec's TF1 runtime (`tf2rec.tf1`), and
`tf.compat.v1.disable_v2_behavior()` runs where the program starts, so that shapes hold
`Dimension`s (`.value` stays right), control flow and variables are TF1's, and graphs are
built as in TF 1.15. A name neither TF 2.21 nor the runtime has is one error finding: that
line is left for a person. These rules run only in that mode (`Rule.mode`).
"""

from __future__ import annotations

import ast
import re

from tf2rec.tools.scan import tf1_runtime, tf_api
from tf2rec.tools.scan.names import canonical, dotted
from tf2rec.tools.scan.parse import parse_pieces
from tf2rec.tools.scan.rule import Expect, FileContext, Invalid, Rule, Severity, Valid
from tf2rec.tools.scan.rules.tf1_meaning import TF1_0_RENAMES

_RUNS = "`{}` runs as TF 1.15's, from tf2rec.tf1"
_SPELLED = "`{}` spelled through tf.compat.v1 (TF 1.15's object)"
_RENAMED = "`{}` was renamed `{}` in TF 1.0: spelled through tf.compat.v1"


def _head(node: ast.expr) -> ast.Name | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _newline(ctx: FileContext) -> str:
    match = re.search(r"\r\n|\r|\n", ctx.positions.source)
    return match.group() if match else "\n"


def _insert(ctx: FileContext, after_line: int, statement: str) -> tuple:
    """Add a statement after a line, after any other this mode adds there."""
    existing = ctx.insertions.get(after_line)
    if existing is not None and statement not in existing:
        statement = existing + _newline(ctx) + statement
    return ctx.insert_statement(after_line, statement)


class RunAsTf1Rule(Rule):
    """A rule of `fix --run-as-tf1`: each finding is a step of keeping the file TF1 code, told
    for information (an error where the step cannot be made)."""

    mode = "tf1"
    severity = Severity.INFO
    severity_from_api_table = False


class RuntimeModuleRule(RunAsTf1Rule):
    """Moves what TF 2.21 lost of TF1 (`tf.layers`, `tf.contrib`, `tf.nn.rnn_cell`) onto
    tf2rec.tf1, which rebuilds TF 1.15's layers, contrib pieces and RNN cells on
    `tf.compat.v1` ops with TF1's variable names, defaults and collections: the file
    imports it (`from tf2rec import tf1 as tf1_runtime`) after its TensorFlow import, so it
    needs tf2rec installed where it runs. An import of such a module (`from
    tensorflow.contrib import layers`) is pointed at the runtime's module. A name the
    runtime lacks (`tf.contrib.slim`, `tf.contrib.learn`) is an error: that line is for a
    person."""

    id = "TF520"
    name = "tf1-runtime-module"
    message = _RUNS.format("{name}")
    replacement = "`tf1_runtime.<module>.<name>` (`from tf2rec import tf1 as tf1_runtime`)"
    fix_safety = (
        "The runtime's layer, cell or helper is TF 1.15's: same variable names, initializers, "
        "defaults, collections and kernels (tests/tf1 check each against raw tf.compat.v1 "
        "ops), so the program computes what it computed under TF 1.15."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            from tf2rec import tf1 as tf1_runtime
            h = tf1_runtime.layers.dense(x, 64, activation=tf.compat.v1.nn.relu)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import numpy as np
            import tensorflow as tf

            def tower(x, is_training):
                h = tf.layers.dense(x, 64, activation=tf.nn.relu, name='fc1')
                h = tf.contrib.layers.batch_norm(h, is_training=is_training, scale=True)
                return tf.layers.dropout(h, 0.5, training=is_training)
            """,
            [
                Expect(5, 9, _RUNS.format("tf.layers.dense")),
                Expect(6, 9, _RUNS.format("tf.contrib.layers.batch_norm")),
                Expect(7, 12, _RUNS.format("tf.layers.dropout")),
            ],
            """
            import numpy as np
            import tensorflow as tf
            from tf2rec import tf1 as tf1_runtime

            def tower(x, is_training):
                h = tf1_runtime.layers.dense(x, 64, activation=tf.nn.relu, name='fc1')
                h = tf1_runtime.contrib.layers.batch_norm(h, is_training=is_training, scale=True)
                return tf1_runtime.layers.dropout(h, 0.5, training=is_training)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            from tensorflow.contrib import rnn
            from tensorflow.contrib.layers import xavier_initializer, l2_regularizer

            cell = rnn.MultiRNNCell([tf.nn.rnn_cell.GRUCell(32) for _ in range(2)])
            """,
            [
                Expect(2, 1, _RUNS.format("tf.contrib.rnn")),
                Expect(3, 1, _RUNS.format("tf.contrib.layers.xavier_initializer")),
                Expect(5, 26, _RUNS.format("tf.nn.rnn_cell.GRUCell")),
            ],
            """
            import tensorflow as tf
            from tf2rec import tf1 as tf1_runtime
            from tf2rec.tf1.contrib import rnn
            from tf2rec.tf1.contrib.layers import xavier_initializer, l2_regularizer

            cell = rnn.MultiRNNCell([tf1_runtime.nn.rnn_cell.GRUCell(32) for _ in range(2)])
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            slim = tf.contrib.slim
            net = slim.fully_connected(x, 10)
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.contrib.slim` is in neither TF 2.21 nor tf2rec.tf1: TF 2 has no "
                    "tf.contrib: replace it with tf.compat.v1 ops",
                ),
            ],
        ),
    ]

    def __init__(self) -> None:
        self.imports: dict[int, ast.stmt] = {}  # import statements looked at, by id
        self.after_line: int | None = None  # where the runtime's import goes

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace not in ("v1", "v2") or not tf1_runtime.in_runtime_modules(name):
            return
        if not tf1_runtime.provides(name):
            ctx.report(self, node, message=tf1_runtime.missing(name), severity=Severity.ERROR)
            return
        head = _head(node)
        if ctx.bindings.names.get(head.id) not in ("tensorflow", "tensorflow.compat.v1"):
            return  # reached through an import of the module: `on_import` points it there
        ctx.report(self, node, name=name, fix=tf1_runtime.spelled(name))
        if self.after_line is None:
            self.after_line = max(ctx.bound_at.get(head.id, 0), 0) or ctx.entry_line

    def on_import(self, ctx, node, module: str) -> None:
        if id(node) in self.imports or not tf1_runtime.in_runtime_modules(module):
            return
        self.imports[id(node)] = node  # held: a freed node's id is reused by a later one
        names = self._imported(node)
        missing = [n for n in names if not tf1_runtime.provides(n)]
        for name in missing:
            ctx.report(self, node, message=tf1_runtime.missing(name), severity=Severity.ERROR)
        if missing:
            return
        statement = self._pointed(ctx, node, names)
        if statement is None:
            message = (
                "`{}`: import the TF1 modules TF 2.21 lacks on a statement of their own "
                "(`import x.y as z` or `from x import y`), then run fix again"
            ).format(", ".join(names))
            ctx.report(self, node, message=message, severity=Severity.ERROR)
            return
        ctx.report(self, node, name=names[0], fix=statement)

    @staticmethod
    def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            fulls = [alias.name for alias in node.names]
        elif node.names[0].name == "*":
            fulls = [node.module]
        else:
            fulls = [f"{node.module}.{alias.name}" for alias in node.names]
        return [(canonical(full) or (full, None))[0] for full in fulls]

    @staticmethod
    def _pointed(ctx, node, names: list[str]) -> str | None:
        """The import statement pointed at the runtime's modules, if one statement can be."""
        if not all(map(tf1_runtime.in_runtime_modules, names)):
            return None
        start, end = ctx.positions.offsets(ctx.positions.span(node))
        text = ctx.positions.source[start:end]
        if isinstance(node, ast.Import):
            (alias,) = node.names if len(node.names) == 1 else (None,)
            module = tf1_runtime.module_of(names[0])
            if alias is None or module is None or module.tf1 != names[0]:
                return None
            if alias.asname is None:  # `import tensorflow.contrib.layers`: binds `tensorflow`
                return "import tensorflow"
            return f"import {module.module} as {alias.asname}"
        parent = (canonical(node.module) or ("", None))[0]
        module = tf1_runtime.module_of(parent)
        target = {"tf": "tf2rec.tf1", "tf.nn": "tf2rec.tf1.nn"}.get(parent)
        if module is not None and module.tf1 == parent:
            target = module.module
        if target is None or node.level:
            return None
        return re.sub(r"^from\s+[\w.]+", f"from {target}", text, count=1)

    def finish(self, ctx) -> None:
        if self.after_line is not None and any(
            r.fix is not None for r in ctx.reports if r.finding.rule_id == self.id
        ):
            _insert(ctx, self.after_line, tf1_runtime.IMPORT)


class CompatV1Rule(RunAsTf1Rule):
    """Spells every TF1 name that TF 2.21 still has through `tf.compat.v1`, where it is TF
    1.15's own object: `tf.random_normal_initializer` as a class keeps stddev 1.0 and TF1's
    seeding (TF2's class has 0.05 and draws other values), `tf.where` keeps TF1's
    broadcasting, `tf.summary.scalar` stays a graph op that `merge_all` collects. The TF 0.12
    names that TF 1.0 renamed (`tf.sub`, `tf.mul`, `tf.neg`, `tf.select`, ...) get their TF
    1.x name. `tf.keras` is left as written (TF 2.21's is Keras 3). A name that neither
    `tf.compat.v1` nor tf2rec.tf1 has (`tf.estimator` in TF 2.21, `tf.scalar_summary`) is an
    error: that line is for a person."""

    id = "TF521"
    name = "tf1-compat-v1-spelling"
    message = _SPELLED.format("{name}")
    replacement = "`tf.compat.v1.<name>`"
    fix_safety = (
        "`tf.compat.v1.<name>` is the object TF 1.15 had under `tf.<name>`, and a TF 1.0 "
        "rename is the same operation with the same parameters, so the program computes what "
        "it computed."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            x = tf.compat.v1.placeholder(tf.compat.v1.float32, [None, 3])
            model = tf.keras.Sequential()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            w = tf.get_variable('w', [10, 1],
                                initializer=tf.random_normal_initializer)
            y = tf.where(tf.greater(x, 0.), x, tf.zeros_like(x))
            """,
            [
                Expect(2, 5, _SPELLED.format("tf.get_variable")),
                Expect(3, 33, _SPELLED.format("tf.random_normal_initializer")),
                Expect(4, 5, _SPELLED.format("tf.where")),
                Expect(4, 14, _SPELLED.format("tf.greater")),
                Expect(4, 36, _SPELLED.format("tf.zeros_like")),
            ],
            """
            import tensorflow as tf
            w = tf.compat.v1.get_variable('w', [10, 1],
                                initializer=tf.compat.v1.random_normal_initializer)
            y = tf.compat.v1.where(tf.compat.v1.greater(x, 0.), x, tf.compat.v1.zeros_like(x))
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            from tensorflow import placeholder
            diff = tf.sub(placeholder(tf.float32), b)
            writer = tf.train.SummaryWriter('logs')
            """,
            [
                Expect(3, 8, _RENAMED.format("tf.sub", "tf.subtract")),
                Expect(3, 15, _SPELLED.format("tf.placeholder")),
                Expect(3, 27, _SPELLED.format("tf.float32")),
                Expect(4, 10, _RENAMED.format("tf.train.SummaryWriter", "tf.summary.FileWriter")),
            ],
            """
            import tensorflow as tf
            from tensorflow.compat.v1 import placeholder
            diff = tf.compat.v1.subtract(placeholder(tf.compat.v1.float32), b)
            writer = tf.compat.v1.summary.FileWriter('logs')
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            tf.scalar_summary('loss', loss)
            """,
            [
                Expect(
                    2,
                    1,
                    "`tf.scalar_summary` is in neither TF 2.21's tf.compat.v1 nor tf2rec.tf1: "
                    "write this line with tf.compat.v1 ops",
                ),
            ],
        ),
    ]

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace != "v2" or name == "tf" or tf1_runtime.in_runtime_modules(name):
            return
        if name == "tf.keras" or name.startswith("tf.keras.") or "compat" in dotted(node):
            return
        head = _head(node)
        full = ctx.bindings.names.get(head.id, "")
        if full.startswith("tensorflow.python"):
            return  # TF1's private modules: the migrate rules judge them (TF506)
        target = TF1_0_RENAMES.get(name, name)
        if not tf_api.exists(target, "v1") and tf_api.listed_deep_enough(target, "v1"):
            message = (
                f"`{name}` is in neither TF 2.21's tf.compat.v1 nor tf2rec.tf1: "
                "write this line with tf.compat.v1 ops"
            )
            ctx.report(self, node, message=message, severity=Severity.ERROR)
            return
        message = None
        if target != name:
            message = _RENAMED.format(name, target)
        if full == "tensorflow" and isinstance(node, ast.Attribute):
            fix = f"{head.id}.compat.v1.{target[3:]}"
            ctx.report(self, node, name=name, message=message, fix=fix)
            return
        origin = ctx.bindings.origins.get(head.id)
        if target == name and origin is not None and origin.module in ("tensorflow",):
            ctx.report(self, node, name=name, fixed_by=ctx.move_import(origin, head.id))
            return
        message = (
            f"`{name}` is reached through `{head.id}`: import it from tensorflow.compat.v1 "
            "(`import tensorflow.compat.v1 as ...`), then run fix again"
        )
        ctx.report(self, node, message=message, severity=Severity.ERROR)


class DisableV2BehaviorRule(RunAsTf1Rule):
    """Puts `tf.compat.v1.disable_v2_behavior()` where the program starts: TF's own switch
    back to TF 1.x behaviour (graph mode, shapes of `Dimension`s, TF1 control flow and
    reference variables, TF1's `tf.data` and summaries). `disable_eager_execution()` alone
    leaves the rest of TF2's behaviour on. Where it goes: after the imports when the file runs
    TensorFlow at module level (outside functions, classes and the `__main__` block); else
    as the first statement of its `if __name__ == "__main__":` block; a module that only
    defines functions and classes gets nothing (its program's entry file does)."""

    id = "TF522"
    name = "tf1-disable-v2-behavior"
    message = (
        "the program starts here: `tf.compat.v1.disable_v2_behavior()` goes before it, so "
        "that it runs with TF 1.x behaviour"
    )
    replacement = "`tf.compat.v1.disable_v2_behavior()` where the program starts"
    fix_safety = (
        "The program is TF1 code and was written for TF 1.x behaviour; the call restores it "
        "for the whole process before anything is built."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf

            def tower(x):
                return tf.compat.v1.layers.dense(x, 8)
            """
        ),
        Valid(
            """
            import tensorflow as tf
            tf.compat.v1.disable_v2_behavior()
            x = tf.compat.v1.placeholder(tf.float32, [None, 3])
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import sys
            import tensorflow as tf

            def main(argv):
                x = tf.placeholder(tf.float32, [None, 3])

            if __name__ == '__main__':
                # parse flags, then train
                main(sys.argv)
            """,
            [Expect(7, 1, message)],
            """
            import sys
            import tensorflow as tf

            def main(argv):
                x = tf.placeholder(tf.float32, [None, 3])

            if __name__ == '__main__':
                # parse flags, then train
                tf.compat.v1.disable_v2_behavior()
                main(sys.argv)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            import numpy as np

            x = tf.placeholder(tf.float32, shape=[None, 784])
            y = tf.layers.dense(x, 10)
            """,
            [Expect(4, 1, message)],
            """
            import tensorflow as tf
            import numpy as np
            tf.compat.v1.disable_v2_behavior()

            x = tf.placeholder(tf.float32, shape=[None, 784])
            y = tf.layers.dense(x, 10)
            """,
        ),
    ]

    def __init__(self) -> None:
        self.present = False

    def on_reference(self, ctx, node, name, namespace) -> None:
        if name == "tf.disable_v2_behavior":
            self.present = True

    def finish(self, ctx) -> None:
        if self.present:
            return
        call, alias = self._call(ctx)
        running, main = self._starts(ctx)
        if running is not None:
            after = max(ctx.entry_line, ctx.bound_at.get(alias, 0))
            after = after if after < running.lineno else running.lineno - 1
            ctx.report(self, running, fixed_by=_insert(ctx, after, call))
        elif main is not None and main.body[0].lineno > main.lineno:
            first = main.body[0]
            line = ctx.positions.source.splitlines()[first.lineno - 1]
            indent = line[: len(line) - len(line.lstrip())]
            statement = _newline(ctx).join(indent + part for part in call.split("\n"))
            ctx.report(self, main, fixed_by=_insert(ctx, first.lineno - 1, statement))

    @staticmethod
    def _call(ctx) -> tuple[str, str | None]:
        """The call, with the file's own alias where it has one."""
        for local, full in ctx.bindings.names.items():
            if full == "tensorflow":
                return f"{local}.compat.v1.disable_v2_behavior()", local
        for local, full in ctx.bindings.names.items():
            if full == "tensorflow.compat.v1":
                return f"{local}.disable_v2_behavior()", local
        return "import tensorflow.compat.v1\ntensorflow.compat.v1.disable_v2_behavior()", None

    @staticmethod
    def _starts(ctx) -> tuple[ast.stmt | None, ast.If | None]:
        """The first module-level statement that runs TensorFlow, and the `__main__` block."""
        from tf2rec.tools.scan.engine import _is_main

        bound = ctx.bindings.names
        running = main = None
        skipped = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        for tree in parse_pieces(ctx.positions.source, ctx.path):
            for statement in tree.body:
                if _is_main(statement):
                    main = main or statement
                elif running is None and not isinstance(statement, skipped):
                    names = (n for n in ast.walk(statement) if isinstance(n, ast.Name))
                    if any(n.id in bound for n in names):
                        running = statement
        return running, main
