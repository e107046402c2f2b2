"""TF1 code that runs on TF 2.21 with another meaning and nothing reported, and the TF 0.12
names that TF 1.0 renamed.

`tf.where(c, x, y)` and `tf.summary.scalar(name, tensor)` are ordinary TF2 calls too: they
change meaning only in TF1 graph code (which builds graphs: placeholders, sessions,
`get_variable`), so those two rules report only in such files, and never in TF2 code.
"""

from __future__ import annotations

import ast

from tf2rec.tools.scan import tf_api
from tf2rec.tools.scan.names import keyword_arg, positional
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid

# TF 0.12 name -> the TF 1.x name of the same operation with the same parameters (names
# whose parameters changed too, such as `tf.concat`'s order or `tf.scalar_summary`'s tags,
# have no exact fix and are not here)
TF1_0_RENAMES = {
    "tf.sub": "tf.subtract",
    "tf.mul": "tf.multiply",
    "tf.neg": "tf.negative",
    "tf.select": "tf.where",
    "tf.pack": "tf.stack",
    "tf.unpack": "tf.unstack",
    "tf.listdiff": "tf.setdiff1d",
    "tf.complex_abs": "tf.abs",
    "tf.train.SummaryWriter": "tf.summary.FileWriter",
    "tf.merge_all_summaries": "tf.summary.merge_all",
    "tf.merge_summary": "tf.summary.merge",
}
_RENAMED = "`{}` was renamed in TF 1.0 and is in no TF 2.21 namespace: `{}`"
# the TF1 names whose TF2 namesake means something else: their fix is the compat.v1 name
_TF2_NAMESAKE_DIFFERS = frozenset({"tf.where"})
# names whose use marks a file as TF1 graph code
GRAPH_CODE = frozenset(
    {
        "tf.placeholder",
        "tf.placeholder_with_default",
        "tf.Session",
        "tf.InteractiveSession",
        "tf.get_variable",
        "tf.variable_scope",
        "tf.train.MonitoredTrainingSession",
        "tf.global_variables_initializer",
    }
)


def compat_spelling(ctx, node: ast.expr, name: str) -> tuple | None:
    """The fix spelling `node` (a reference to `name` through `tensorflow`) as
    `<alias>.compat.v1.<name>`, with the file's own alias; None where it is reached through
    a submodule alias."""
    head = node
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return None
    if isinstance(node, ast.Attribute) and ctx.bindings.names.get(head.id) == "tensorflow":
        return ctx.add_edit(node, f"{head.id}.compat.v1.{name[3:]}")
    origin = ctx.bindings.origins.get(head.id)
    if node is head and origin is not None and origin.module == "tensorflow":
        return ctx.move_import(origin, head.id)
    return None


class TF1_0RenameRule(Rule):
    """TF 1.0 renamed arithmetic and packing ops (`tf.sub` -> `tf.subtract`, `tf.mul` ->
    `tf.multiply`, `tf.neg` -> `tf.negative`, `tf.pack` -> `tf.stack`, `tf.select` ->
    `tf.where`, ...); code of the TF 0.12 era still uses the old names, which no TF 2.21
    namespace has. The new name is the same operation with the same parameters; `tf.select`
    becomes `tf.compat.v1.where`, TF1's `where`, since TF2's broadcasts."""

    id = "TF909"
    name = "tf1-0-rename"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` was renamed in TF 1.0 and is in no TF 2.21 namespace"
    replacement = "its TF 1.x name: `tf.subtract`, `tf.multiply`, `tf.negative`, `tf.stack`, ..."
    names = frozenset(n for n in TF1_0_RENAMES if not n.startswith(("tf.train.", "tf.merge")))
    fix_safety = (
        "TF 1.0 renamed the function and kept the operation and its parameters, so the new "
        "name computes what the old one did."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            d = tf.subtract(a, b)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            diff = tf.sub(pos_score, neg_score)
            loss = tf.reduce_mean(tf.mul(diff, tf.neg(weights)))
            """,
            [
                Expect(2, 8, _RENAMED.format("tf.sub", "tf.subtract")),
                Expect(
                    3,
                    23,
                    _RENAMED.format("tf.mul", "tf.multiply"),
                ),
                Expect(
                    3,
                    36,
                    _RENAMED.format("tf.neg", "tf.negative"),
                ),
            ],
            """
            import tensorflow as tf
            diff = tf.subtract(pos_score, neg_score)
            loss = tf.reduce_mean(tf.multiply(diff, tf.negative(weights)))
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            h = tf.pack([a, b], axis=1)
            m = tf.select(mask, h, tf.zeros_like(h))
            """,
            [
                Expect(2, 5, _RENAMED.format("tf.pack", "tf.stack")),
                Expect(
                    3,
                    5,
                    "`tf.select` was renamed in TF 1.0 and is in no TF 2.21 namespace: "
                    "`tf.compat.v1.where`",
                ),
            ],
            """
            import tensorflow as tf
            h = tf.stack([a, b], axis=1)
            m = tf.compat.v1.where(mask, h, tf.zeros_like(h))
            """,
        ),
    ]

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace not in ("v1", "v2") or not self.matches(name):
            return
        target = TF1_0_RENAMES[name]
        compat = namespace == "v1" or target in _TF2_NAMESAKE_DIFFERS
        shown = "tf.compat.v1" + target[2:] if compat else target
        message = self.message.format(name=name) + f": `{shown}`"
        head = node
        while isinstance(head, ast.Attribute):
            head = head.value
        fix = None
        if isinstance(node, ast.Attribute) and isinstance(head, ast.Name):
            full = ctx.bindings.names.get(head.id)
            if full == "tensorflow":
                fix = f"{head.id}.{shown[3:]}"
            elif full == "tensorflow.compat.v1":
                fix = f"{head.id}.{target[3:]}"
        ctx.report(self, node, message=message, fix=fix)


class UncalledInitializerRule(Rule):
    """TF1 code often passed an initializer class without calling it
    (`kernel_initializer=tf.random_normal_initializer`), so its defaults applied. TF2's
    class of that name has other defaults (stddev 0.05 where TF1's had 1.0; a uniform range
    of [-0.05, 0.05) where TF1's was [0, 1)) and draws other values for a seed: the model
    trains from other weights and nothing is reported (one NeuMF's losses moved by 2.6%).
    The fix passes TF1's class, `tf.compat.v1.<name>`, which keeps TF1's defaults and
    seeding."""

    id = "TF906"
    name = "uncalled-initializer-class"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` passed uncalled: TF2's class has {defaults}"
    replacement = "TF1's class, `tf.compat.v1.<name>` (or call it with the values meant)"
    fix_safety = (
        "`tf.compat.v1.<name>` is the class TF1 code passed: its defaults and its seeding are "
        "TF1's, so the weights start where they started under TF 1.x."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            w = tf.get_variable('w', [3, 3], initializer=tf.random_normal_initializer(stddev=0.1))
            h = tf.layers.dense(x, 8, kernel_initializer=tf.compat.v1.random_normal_initializer)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            h = tf.layers.dense(x, 2 * dim, activation=tf.nn.relu,
                                kernel_initializer=tf.random_normal_initializer,
                                name='hidden')
            """,
            [
                Expect(
                    3,
                    40,
                    "`tf.random_normal_initializer` passed uncalled: TF2's class has "
                    "stddev=0.05 (TF1's: stddev=1.0)",
                )
            ],
            """
            import tensorflow as tf
            h = tf.layers.dense(x, 2 * dim, activation=tf.nn.relu,
                                kernel_initializer=tf.compat.v1.random_normal_initializer,
                                name='hidden')
            """,
        ),
        Invalid(
            """
            from tensorflow import random_uniform_initializer
            import tensorflow as tf
            emb = tf.get_variable('emb', [n_items, k], initializer=random_uniform_initializer)
            """,
            [
                Expect(
                    3,
                    56,
                    "`tf.random_uniform_initializer` passed uncalled: TF2's class has "
                    "minval=-0.05, maxval=0.05 (TF1's: minval=0.0, maxval=1.0)",
                )
            ],
            """
            from tensorflow.compat.v1 import random_uniform_initializer
            import tensorflow as tf
            emb = tf.get_variable('emb', [n_items, k], initializer=random_uniform_initializer)
            """,
        ),
    ]

    def __init__(self) -> None:
        # the initializers called, by id, each held so that its id stays its own (a freed
        # node's id is reused by a later one: a file is parsed in pieces, each freed after
        # its walk)
        self.called: dict[int, ast.expr] = {}

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is not None and "initializer" in resolved[0]:
            self.called[id(node.func)] = node.func

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace != "v2" or id(node) in self.called or "initializer" not in name:
            return
        changed = tf_api.changed_defaults(name)
        if changed is None:
            return
        params = changed["params"]
        defaults = "{} (TF1's: {})".format(
            ", ".join(f"{p}={d['tf2']}" for p, d in params.items()),
            ", ".join(f"{p}={d['tf1']}" for p, d in params.items()),
        )
        message = self.message.format(name=name, defaults=defaults)
        ctx.report(self, node, message=message, fixed_by=compat_spelling(ctx, node, name))


class _InGraphCode(Rule):
    """A rule about calls that mean something else only in TF1 graph code: it collects
    them, and reports them when the file is such code."""

    def __init__(self) -> None:
        self.graph_code = False
        self.found: list[tuple[ast.Call, str]] = []

    def on_reference(self, ctx, node, name, namespace) -> None:
        if name in GRAPH_CODE:
            self.graph_code = True

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is not None and resolved[1] == "v2" and self.matches(resolved[0]):
            if self.changes(node):
                self.found.append((node, resolved[0]))

    def changes(self, call: ast.Call) -> bool:
        raise NotImplementedError

    def finish(self, ctx) -> None:
        if not self.graph_code:
            return
        for call, name in self.found:
            fixed_by = compat_spelling(ctx, call.func, name)
            ctx.report(self, call, name=name, fixed_by=fixed_by)


class GraphSummaryRule(_InGraphCode):
    """In TF1 graph code `tf.summary.scalar(name, tensor)` adds a summary op to the graph
    and to the collection that `tf.summary.merge_all()` merges. Reached through TF 2.21's
    `tensorflow` it is TF2's function (`name, data, step`), which records nothing without a
    default writer and a step: `merge_all()` returns None and the run fails or writes
    nothing. The fix calls TF1's function, `tf.compat.v1.summary.scalar`. Only in files that
    build TF1 graphs (placeholders, sessions, `get_variable`): in TF2 code the call is
    right."""

    id = "TF907"
    name = "graph-summary-op"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = (
        "`{name}(name, tensor)` in graph code is TF2's summary: it adds no op `merge_all` sees"
    )
    replacement = "`tf.compat.v1.summary.<name>` (TF1's graph summary op)"
    names = frozenset({"tf.summary.scalar", "tf.summary.histogram"})
    fix_safety = (
        "`tf.compat.v1.summary.scalar` is the function TF1 code called: the same op in the "
        "same collection, merged and written as before."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            writer = tf.summary.create_file_writer('logs')
            with writer.as_default():
                tf.summary.scalar('loss', loss, step=step)
            """
        ),
        Valid(
            """
            import tensorflow as tf
            x = tf.compat.v1.placeholder(tf.float32, [None, 3])
            tf.summary.scalar('loss', loss, step=1)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf

            class Model(object):
                def __init__(self):
                    self.x = tf.placeholder(tf.float32, [None, 10])
                    self.loss = tf.reduce_mean(tf.square(self.x))
                    tf.summary.scalar('loss', self.loss)
                    tf.summary.histogram("x", self.x)
            """,
            [
                Expect(
                    7,
                    9,
                    "`tf.summary.scalar(name, tensor)` in graph code is TF2's summary: it adds "
                    "no op `merge_all` sees",
                ),
                Expect(
                    8,
                    9,
                    "`tf.summary.histogram(name, tensor)` in graph code is TF2's summary: it "
                    "adds no op `merge_all` sees",
                ),
            ],
            """
            import tensorflow as tf

            class Model(object):
                def __init__(self):
                    self.x = tf.placeholder(tf.float32, [None, 10])
                    self.loss = tf.reduce_mean(tf.square(self.x))
                    tf.compat.v1.summary.scalar('loss', self.loss)
                    tf.compat.v1.summary.histogram("x", self.x)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            tf.summary.scalar('accuracy', acc)  # before the session exists
            sess = tf.Session()
            """,
            [
                Expect(
                    2,
                    1,
                    "`tf.summary.scalar(name, tensor)` in graph code is TF2's summary: it adds "
                    "no op `merge_all` sees",
                ),
            ],
            """
            import tensorflow as tf
            tf.compat.v1.summary.scalar('accuracy', acc)  # before the session exists
            sess = tf.Session()
            """,
        ),
    ]

    def changes(self, call: ast.Call) -> bool:
        return len(positional(call)) == 2 and keyword_arg(call, "step") is None


class GraphWhereRule(_InGraphCode):
    """`tf.where(cond, x, y)` in TF1 needed `x` and `y` of one shape and `cond` of that
    shape or a vector over its first dimension (choosing rows); TF2's `tf.where` broadcasts
    the three against each other instead. A vector `cond` that chose rows now lines up with
    the last dimension: another result, or an error only when the sizes differ. The fix calls
    TF1's, `tf.compat.v1.where`. Only in files that build TF1 graphs (placeholders,
    sessions, `get_variable`): in TF2 code the call is right."""

    id = "TF908"
    name = "graph-where"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}(cond, x, y)` broadcasts in TF2; TF1's chose rows by a vector `cond`"
    replacement = "`tf.compat.v1.where(cond, x, y)` (TF1's)"
    names = frozenset({"tf.where"})
    fix_safety = (
        "`tf.compat.v1.where` is the function TF1 code called (the `Select` op, with TF1's "
        "shape rules), so it selects what it selected."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            x = tf.compat.v1.placeholder(tf.float32, [None, 3])
            idx = tf.where(x > 0)
            """
        ),
        Valid(
            """
            import tensorflow as tf
            y = tf.where(mask, a, b)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            diff = tf.placeholder(tf.float32, [None])
            loss = tf.where(diff < 1.0, 1.0 - diff,
                            tf.nn.softplus(-diff))
            """,
            [
                Expect(
                    3,
                    8,
                    "`tf.where(cond, x, y)` broadcasts in TF2; TF1's chose rows by a vector `cond`",
                ),
            ],
            """
            import tensorflow as tf
            diff = tf.placeholder(tf.float32, [None])
            loss = tf.compat.v1.where(diff < 1.0, 1.0 - diff,
                            tf.nn.softplus(-diff))
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            def mask_rows(keep, emb):
                return tf.where(keep, x=emb, y=tf.zeros_like(emb))
            with tf.variable_scope('m'):
                out = mask_rows(k, tf.get_variable('e', [5, 4]))
            """,
            [
                Expect(
                    3,
                    12,
                    "`tf.where(cond, x, y)` broadcasts in TF2; TF1's chose rows by a vector `cond`",
                ),
            ],
            """
            import tensorflow as tf
            def mask_rows(keep, emb):
                return tf.compat.v1.where(keep, x=emb, y=tf.zeros_like(emb))
            with tf.variable_scope('m'):
                out = mask_rows(k, tf.get_variable('e', [5, 4]))
            """,
        ),
    ]

    def changes(self, call: ast.Call) -> bool:
        given = len(positional(call)) + sum(k.arg in ("x", "y") for k in call.keywords)
        return given == 3
