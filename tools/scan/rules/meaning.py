"""Calls that still run on TF 2.21 but mean something else than they did in TF1.

These are the worst a migration can leave behind: nothing fails, the numbers change. Each
is an error, fixed where the fix is exact. The tables of renamed keywords, reordered
parameters and changed defaults are derived from the installed TensorFlow
(`generate_api_table.py`) and read through `tf_api`.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from tf2rec.tools.scan import tf_api
from tf2rec.tools.scan.names import arguments, dotted, has_star, keyword_arg, positional
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid

if TYPE_CHECKING:
    import libcst as cst


def tight_equal():
    """The `=` of a keyword argument, spelled without spaces as keyword arguments are."""
    import libcst as cst

    return cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    import libcst as cst

    return cst.Arg(keyword=cst.Name(name), value=value, equal=tight_equal())


def _with_commas(args: list[cst.Arg]) -> list[cst.Arg]:
    """`args` with a ", " after each but the last (a comma already there is kept)."""
    import libcst as cst

    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [
        arg.with_changes(comma=comma)
        if i < len(args) - 1 and not isinstance(arg.comma, cst.Comma)
        else arg
        for i, arg in enumerate(args)
    ]


def _one_minus(value: cst.BaseExpression) -> cst.BaseExpression:
    """`1 - value`, parenthesized where the value would otherwise bind wrongly."""
    import libcst as cst

    atoms = (cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.Call, cst.Subscript)
    if not isinstance(value, atoms) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.BinaryOperation(
        left=cst.Integer("1"),
        operator=cst.Subtract(
            whitespace_before=cst.SimpleWhitespace(" "),
            whitespace_after=cst.SimpleWhitespace(" "),
        ),
        right=value,
    )


def _tf2_call(ctx, call: ast.Call) -> str | None:
    """The TF name `call` calls when it reaches it through `tensorflow` (TF2), else None."""
    resolved = ctx.resolve(call.func)
    return resolved[0] if resolved is not None and resolved[1] == "v2" else None


class DropoutKeepProbRule(Rule):
    """TF1's `tf.nn.dropout(x, keep_prob)` takes the probability of keeping a unit; TF2's second
    argument is the rate of dropping one. Called through `tensorflow` on TF 2.21, the TF1 call still
    runs, and drops the share it meant to keep (0.8 keeps 20%), with no error; `keep_prob=` is a
    TypeError. `rate=1 - keep_prob` is the same dropout, which is what `tf2rec fix` writes. Through
    `tf.compat.v1`, `keep_prob` keeps its meaning. TF 1.13 and later also took `rate=`; a call that
    names it means the same in both."""

    id = "TF901"
    name = "dropout-keep-prob"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = (
        "`tf.nn.dropout`'s second argument is the drop rate in TF2, the keep probability in TF1"
    )
    replacement = "`tf.nn.dropout(x, rate=1 - keep_prob)` (`tf2rec fix` rewrites it)"
    migrated = "tf2rec.migrated.deepfm.DeepFM"
    fix_safety = (
        "`rate=1 - keep_prob` is the same dropout TF1 applied: each unit kept with probability "
        "keep_prob and scaled by 1 / keep_prob. A call with `*args`, or with the keep "
        "probability before other positional arguments, is reported and left as it is."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            y = tf.nn.dropout(x, rate=0.2)
            """
        ),
        Valid(
            """
            import tensorflow.compat.v1 as tf
            y = tf.nn.dropout(x, 0.8)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            y = tf.nn.dropout(x, 0.8)
            z = tf.nn.dropout(h, keep_prob=1.0 - p, seed=3)
            """,
            [
                Expect(
                    2,
                    22,
                    "`tf.nn.dropout`'s second argument is the drop rate in TF2, the "
                    "keep probability in TF1",
                ),
                Expect(
                    3,
                    22,
                    "`tf.nn.dropout`'s second argument is the drop rate in TF2, the "
                    "keep probability in TF1",
                ),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.nn.dropout(x, rate=1 - 0.8)
            z = tf.nn.dropout(h, rate=1 - (1.0 - p), seed=3)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            y = tf.nn.dropout(x, 0.8)
            """,
            [
                Expect(
                    2,
                    22,
                    "`tf.nn.dropout`'s second argument is the drop rate in TF2, the "
                    "keep probability in TF1",
                ),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.nn.dropout(x, rate=1 - 0.8)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            y = tf.nn.dropout(x, keep_prob=self.keep_prob)
            """,
            [
                Expect(
                    2,
                    22,
                    "`tf.nn.dropout`'s second argument is the drop rate in TF2, the "
                    "keep probability in TF1",
                ),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.nn.dropout(x, rate=1 - self.keep_prob)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Model(object):
                def _mlp(self, h):
                    h = tflow.nn.dropout(h,  # hidden layer
                                         self.keep_prob)
                    return h
            """,
            [
                Expect(
                    7,
                    30,
                    "`tf.nn.dropout`'s second argument is the drop rate in TF2, the "
                    "keep probability in TF1",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Model(object):
                def _mlp(self, h):
                    h = tflow.nn.dropout(h,  # hidden layer
                                         rate=1 - self.keep_prob)
                    return h
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        if _tf2_call(ctx, node) != "tf.nn.dropout":
            return
        given = positional(node)
        keep = keyword_arg(node, "keep_prob")
        if keep is None and len(given) >= 2:
            keep = given[1]
        if keep is None:
            return
        fix = None
        if not has_star(node) and (isinstance(keep, ast.keyword) or given[-1] is keep):
            index = arguments(node).index(keep)

            def fix(updated: cst.Call) -> cst.Call:
                import libcst as cst

                arg = updated.args[index]
                new = arg.with_changes(
                    keyword=cst.Name("rate"),
                    equal=arg.equal if arg.keyword is not None else tight_equal(),
                    value=_one_minus(arg.value),
                )
                args = list(updated.args)
                args[index] = new
                return updated.with_changes(args=args)

        ctx.report(self, keep, fix=fix, fix_node=node)  # where the keep probability is


class CallSignatureRule(Rule):
    """TF2 renamed keywords of many functions (`keep_dims` -> `keepdims`, `dim` and
    `reduction_indices` -> `axis`), removed some, and gave some positions another parameter
    (TF1's `tf.argmax(x, 1, "name")` passes the name as TF2's `output_type`). A renamed
    keyword is a TypeError on TF 2.21; a positional argument in a changed position runs
    with another meaning or fails later. `tf2rec fix` names the arguments as TF1 meant them,
    in TF2's spelling. Late TF 1.x releases already accepted `keepdims=` and `axis=`, so
    code written with those needs nothing. The tables come from TensorFlow's own upgrade
    tables, checked against TF 2.21's signatures."""

    id = "TF902"
    name = "call-signature"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` takes other arguments in TF2"
    replacement = "TF2's keywords (`keepdims=`, `axis=`): `tf2rec fix` rewrites the call"
    fix_safety = (
        "The arguments keep their values and get the names TF1 gave them, in TF2's spelling "
        "(`keep_dims=` is `keepdims=`; `tf.argmax`'s third positional argument is `name=`). "
        "Where TF2 has no spelling for what the call meant (a removed keyword, `*args`, the TF2 "
        "keyword given as well), the call is reported and left alone."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            s = tf.reduce_sum(x, axis=1, keepdims=True)
            """
        ),
        Valid(
            """
            import tensorflow.compat.v1 as tf
            s = tf.reduce_sum(x, 1, keep_dims=True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            s = tf.reduce_mean(x, reduction_indices=[1], keep_dims=True)
            i = tf.argmax(logits, 1, "best")
            p = tf.nn.softmax(z, dim=-1)
            """,
            [
                Expect(
                    2,
                    23,
                    "`tf.reduce_mean` takes other arguments in TF2: "
                    "`reduction_indices=` is `axis=`",
                ),
                Expect(
                    2,
                    46,
                    "`tf.reduce_mean` takes other arguments in TF2: `keep_dims=` is `keepdims=`",
                ),
                Expect(
                    3,
                    26,
                    "`tf.argmax` takes other arguments in TF2: positional argument 3 "
                    "(TF1's `name`) means another parameter",
                ),
                Expect(4, 22, "`tf.nn.softmax` takes other arguments in TF2: `dim=` is `axis=`"),
            ],
            fixed="""
            import tensorflow as tf
            s = tf.reduce_mean(x, axis=[1], keepdims=True)
            i = tf.argmax(logits, 1, name="best")
            p = tf.nn.softmax(z, axis=-1)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            s = tf.reduce_sum(x, reduction_indices=1, keep_dims=True)
            """,
            [
                Expect(
                    2,
                    22,
                    "`tf.reduce_sum` takes other arguments in TF2: `reduction_indices=` is `axis=`",
                ),
                Expect(
                    2,
                    43,
                    "`tf.reduce_sum` takes other arguments in TF2: `keep_dims=` is `keepdims=`",
                ),
            ],
            fixed="""
            import tensorflow as tf
            s = tf.reduce_sum(x, axis=1, keepdims=True)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            i = tf.argmax(logits, 1, "best")
            """,
            [
                Expect(
                    2,
                    26,
                    "`tf.argmax` takes other arguments in TF2: positional argument 3 "
                    "(TF1's `name`) means another parameter",
                ),
            ],
            fixed="""
            import tensorflow as tf
            i = tf.argmax(logits, 1, name="best")
            """,
        ),
        Invalid(
            """
            import tensorflow as tf


            class Ranker(object):
                def predict(self, scores):
                    best = tf.argmax(scores, dimension=1)
                    return tf.expand_dims(best, dim=-1)
            """,
            [
                Expect(6, 34, "`tf.argmax` takes other arguments in TF2: `dimension=` is `axis=`"),
                Expect(7, 37, "`tf.expand_dims` takes other arguments in TF2: `dim=` is `axis=`"),
            ],
            fixed="""
            import tensorflow as tf


            class Ranker(object):
                def predict(self, scores):
                    best = tf.argmax(scores, axis=1)
                    return tf.expand_dims(best, axis=-1)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            def attention(queries, keys, mask):
                scores = tf.reduce_sum(queries * keys,
                                       reduction_indices=-1,
                                       keep_dims=True)  # [B, T, 1]
                weights = tf.nn.softmax(scores,
                    dim=1)
                return tf.reduce_sum(weights * keys, 1)
            """,
            [
                Expect(
                    5,
                    28,
                    "`tf.reduce_sum` takes other arguments in TF2: `reduction_indices=` is `axis=`",
                ),
                Expect(
                    6,
                    28,
                    "`tf.reduce_sum` takes other arguments in TF2: `keep_dims=` is `keepdims=`",
                ),
                Expect(8, 9, "`tf.nn.softmax` takes other arguments in TF2: `dim=` is `axis=`"),
            ],
            fixed="""
            import tensorflow as tf

            def attention(queries, keys, mask):
                scores = tf.reduce_sum(queries * keys,
                                       axis=-1,
                                       keepdims=True)  # [B, T, 1]
                weights = tf.nn.softmax(scores,
                    axis=1)
                return tf.reduce_sum(weights * keys, 1)
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        name = _tf2_call(ctx, node)
        if name is None:
            return
        renames = tf_api.keyword_renames(name)
        order = tf_api.reorder(name)
        renamed = [k for k in node.keywords if k.arg in renames]
        moved = []
        if order is not None:
            moved = [i for i, tf1 in enumerate(order["tf1"][: len(positional(node))]) if tf1]
        if not renamed and not moved:
            return
        # each problem where it is written: a keyword on a continuation line is found there
        problems = [
            (k, f"`{k.arg}=` is `{renames[k.arg]}=`" if renames[k.arg] else f"`{k.arg}=` is gone")
            for k in renamed
        ]
        if moved:
            where = ", ".join(f"{i + 1} (TF1's `{order['tf1'][i]}`)" for i in moved)
            problems.append(
                (positional(node)[moved[0]], f"positional argument {where} means another parameter")
            )
        plan = self._plan(node, renames, order, moved)
        fix = None
        if plan is not None:

            def fix(updated: cst.Call) -> cst.Call:
                import libcst as cst

                args = []
                for position, arg in enumerate(updated.args):
                    new_name = plan.get(position)
                    if new_name is not None:
                        equal = arg.equal if arg.keyword is not None else tight_equal()
                        arg = arg.with_changes(keyword=cst.Name(new_name), equal=equal)
                    args.append(arg)
                return updated.with_changes(args=args)

        for argument, problem in sorted(problems, key=lambda p: (p[0].lineno, p[0].col_offset)):
            ctx.report(
                self,
                argument,
                name=name,
                message=f"`{name}` takes other arguments in TF2: {problem}",
                fix=fix,
                fix_node=node,
            )

    @staticmethod
    def _plan(node: ast.Call, renames: dict, order: dict | None, moved: list[int]):
        """Argument index (in source order) -> its TF2 keyword, or None when no exact
        rewrite exists."""
        if has_star(node):
            return None
        plan = {}
        given = arguments(node)
        for index, arg in enumerate(given):
            if isinstance(arg, ast.keyword) and arg.arg in renames:
                if renames[arg.arg] is None:
                    return None  # a removed keyword: what it did has no TF2 spelling
                plan[index] = renames[arg.arg]
        if moved:
            first = moved[0]
            for position in range(first, len(node.args)):
                tf1 = order["tf1"][position] if position < len(order["tf1"]) else None
                tf1 = tf1 or (order["tf2"][position] if position < len(order["tf2"]) else None)
                new = renames.get(tf1, tf1)
                if new is None or new not in order["tf2"]:
                    return None  # TF1's parameter has no TF2 keyword
                plan[position] = new  # positional arguments come first in node.args
        named = [
            plan.get(i, arg.arg if isinstance(arg, ast.keyword) else None)
            for i, arg in enumerate(given)
        ]
        named = [name for name in named if name]
        if len(named) != len(set(named)):
            return None  # the TF2 keyword is given as well
        return plan


class ChangedDefaultRule(Rule):
    """Some TF2 functions kept their TF1 name and changed a default:
    `tf.random_normal_initializer()` draws with stddev 0.05 in TF2, 1.0 in TF1;
    `tf.random_uniform_initializer()` from [-0.05, 0.05), not [0, 1). The call runs and the
    model starts from other weights. Writing TF1's default out keeps the distribution (the
    draws themselves come from TF2's generator); `tf2rec fix` does."""

    id = "TF903"
    name = "changed-default"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` has other defaults in TF2"
    replacement = "TF1's default written out (`stddev=1.0`): `tf2rec fix` adds it"
    fix_safety = (
        "Writing TF1's defaults out (`stddev=1.0`; `minval=0.0, maxval=1.0`) makes the "
        "initializer draw from the distribution TF1 drew from. The numbers drawn are not TF1's: "
        "TF2's initializers use another random generator, whatever the seed."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            init = tf.random_normal_initializer(stddev=0.01)
            """
        ),
        Valid(
            """
            import tensorflow.compat.v1 as tf
            init = tf.random_normal_initializer()
            """
        ),
        Valid(
            """
            import tensorflow as tf
            init = tf.random_normal_initializer(0.0, 0.02)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            a = tf.random_normal_initializer()
            b = tf.random_uniform_initializer(seed=1)
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.random_normal_initializer` has other defaults in TF2 (stddev "
                    "1.0 -> 0.05); write TF1's out",
                ),
                Expect(
                    3,
                    5,
                    "`tf.random_uniform_initializer` has other defaults in TF2 (minval "
                    "0.0 -> -0.05, maxval 1.0 -> 0.05); write TF1's out",
                ),
            ],
            fixed="""
            import tensorflow as tf
            a = tf.random_normal_initializer(stddev=1.0)
            b = tf.random_uniform_initializer(seed=1, minval=0.0, maxval=1.0)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            init = tf.random_normal_initializer(mean=0.0)
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.random_normal_initializer` has other defaults in TF2 (stddev "
                    "1.0 -> 0.05); write TF1's out",
                ),
            ],
            fixed="""
            import tensorflow as tf
            init = tf.random_normal_initializer(mean=0.0, stddev=1.0)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            init = tf.random_uniform_initializer(seed=1)
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.random_uniform_initializer` has other defaults in TF2 (minval "
                    "0.0 -> -0.05, maxval 1.0 -> 0.05); write TF1's out",
                ),
            ],
            fixed="""
            import tensorflow as tf
            init = tf.random_uniform_initializer(seed=1, minval=0.0, maxval=1.0)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow

            init = tflow.random_uniform_initializer(maxval=0.1)
            """,
            [
                Expect(
                    3,
                    8,
                    "`tf.random_uniform_initializer` has other defaults in TF2 (minval "
                    "0.0 -> -0.05); write TF1's out",
                ),
            ],
            fixed="""
            import tensorflow as tflow

            init = tflow.random_uniform_initializer(maxval=0.1, minval=0.0)
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        name = _tf2_call(ctx, node)
        info = tf_api.changed_defaults(name) if name else None
        if info is None or has_star(node):
            return  # the parameters it fills are unknown
        given = set(info["positional"][: len(node.args)])
        given |= {k.arg for k in node.keywords}
        missing = {p: d for p, d in info["params"].items() if p not in given}
        if not missing:
            return
        changes = ", ".join(f"{p} {d['tf1']} -> {d['tf2']}" for p, d in missing.items())

        def fix(updated: cst.Call) -> cst.Call:
            import libcst as cst

            added = [_keyword(p, cst.parse_expression(d["tf1"])) for p, d in missing.items()]
            return updated.with_changes(args=_with_commas([*updated.args, *added]))

        ctx.report(
            self,
            node,
            name=name,
            message=f"`{name}` has other defaults in TF2 ({changes}); write TF1's out",
            fix=fix,
        )


class ShapeValueRule(Rule):
    """In TF1 a static shape held `Dimension` objects and code read `x.shape[1].value`; TF2
    shapes hold ints (or None), so `.value` is an AttributeError. The int itself is what
    `.value` returned; `tf2rec fix` drops `.value`."""

    id = "TF904"
    name = "dimension-value"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`.value` of a shape's dimension: TF2 shapes hold ints"
    replacement = "`x.shape[1]` (an int or None): `tf2rec fix` drops `.value`"
    attributes = frozenset({"value"})
    fix_safety = (
        "`dim.value` was the int (or None) that a TF2 shape already holds at that position, so "
        "the expression without `.value` has the same value."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            n = x.shape[1]
            v = counter.value
            """
        ),
        Valid(
            """
            import tensorflow as tf
            def f(x):
                for d in x.get_shape():
                    pass
                return [d.value for d in counters]
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            d = inputs.get_shape()[-1].value * x.shape[1].value
            """,
            [
                Expect(2, 5, "`.value` of a shape's dimension: TF2 shapes hold ints"),
                Expect(2, 36, "`.value` of a shape's dimension: TF2 shapes hold ints"),
            ],
            fixed="""
            import tensorflow as tf
            d = inputs.get_shape()[-1] * x.shape[1]
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            n = x.shape[1].value
            """,
            [
                Expect(2, 5, "`.value` of a shape's dimension: TF2 shapes hold ints"),
            ],
            fixed="""
            import tensorflow as tf
            n = x.shape[1]
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            n = x.get_shape()[-1].value
            """,
            [
                Expect(2, 5, "`.value` of a shape's dimension: TF2 shapes hold ints"),
            ],
            fixed="""
            import tensorflow as tf
            n = x.get_shape()[-1]
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            def scorer(x):
                # the shape as a list of ints, the way it was written for tf 1.x
                dims = [d.value for d in x.get_shape()]
                for dim in x.get_shape()[1:]:
                    print(dim.value)
                return dims
            """,
            [
                Expect(5, 13, "`.value` of a shape's dimension: TF2 shapes hold ints"),
                Expect(7, 15, "`.value` of a shape's dimension: TF2 shapes hold ints"),
            ],
            fixed="""
            import tensorflow as tf

            def scorer(x):
                # the shape as a list of ints, the way it was written for tf 1.x
                dims = [d for d in x.get_shape()]
                for dim in x.get_shape()[1:]:
                    print(dim)
                return dims
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            def attention(keys):
                shape = keys.get_shape()
                _, T, H = keys.shape
                hidden = shape[-1].value
                return tf.reshape(keys, [-1, T.value * hidden])
            """,
            [
                Expect(5, 14, "`.value` of a shape's dimension: TF2 shapes hold ints"),
                Expect(6, 34, "`.value` of a shape's dimension: TF2 shapes hold ints"),
            ],
            fixed="""
            import tensorflow as tf
            def attention(keys):
                shape = keys.get_shape()
                _, T, H = keys.shape
                hidden = shape[-1]
                return tf.reshape(keys, [-1, T * hidden])
            """,
        ),
    ]

    def __init__(self) -> None:
        # `.value` of a name, or of a name's item: a dimension if the name holds one
        self.candidates: list[tuple[ast.Attribute, str, str]] = []  # node, name, "dim"/"shape"

    def on_attribute(self, ctx, node: ast.Attribute) -> None:
        inner = node.value
        if isinstance(inner, ast.Name):
            self.candidates.append((node, inner.id, "dim"))
            return
        if not isinstance(inner, ast.Subscript):
            return
        if isinstance(inner.value, ast.Name):
            self.candidates.append((node, inner.value.id, "shape"))
        elif _is_shape(inner.value):
            ctx.report(self, node, fix=lambda updated: updated.value)

    def finish(self, ctx) -> None:
        """`.value` of a dimension that a name holds: a loop over a shape (`[d.value for d
        in x.get_shape()]`), `d = x.shape[1]`, `dims = x.get_shape()` then `dims[1].value`,
        `_, n = x.get_shape()`; within the function (or module) where the name got it."""
        if not self.candidates:
            return
        from tf2rec.tools.scan.parse import parse_pieces

        held = [h for tree in parse_pieces(ctx.positions.source, ctx.path) for h in _held(tree)]
        for node, name, kind in self.candidates:
            if any(
                name == h_name and kind == h_kind and start <= node.lineno <= end
                for h_name, h_kind, start, end in held
            ):
                ctx.report(self, node, fix=lambda updated: updated.value)


def _is_shape(node: ast.expr) -> bool:
    """`x.shape`, `x.shape.dims`, `x.get_shape()`, or a slice of one (`x.shape[1:]`)."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return _is_shape(node.value)
    return (isinstance(node, ast.Attribute) and node.attr in ("shape", "dims")) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_shape"
    )


def _held(tree: ast.AST) -> list[tuple[str, str, int, int]]:
    """(name, "dim" or "shape", first line, last line) for each name a shape or a dimension
    is bound to, over the lines where it holds it."""
    functions = [
        (n.lineno, n.end_lineno)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    ]

    def scope_end(line: int) -> int:
        inside = [end for start, end in functions if start <= line <= end]
        return min(inside) if inside else 1 << 30

    held = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and _is_shape(node.iter):
            held += [(t, "dim", node.lineno, node.end_lineno) for t in _names(node.target)]
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            for generator in node.generators:
                if _is_shape(generator.iter):
                    held += [
                        (t, "dim", node.lineno, node.end_lineno) for t in _names(generator.target)
                    ]
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value, end = node.targets[0], node.value, scope_end(node.lineno)
            if isinstance(target, ast.Name) and _is_shape(value):
                held.append((target.id, "shape", node.lineno, end))
            elif isinstance(target, ast.Name) and isinstance(value, ast.Subscript):
                if _is_shape(value.value) and not isinstance(value.slice, ast.Slice):
                    held.append((target.id, "dim", node.lineno, end))
            elif isinstance(target, ast.Tuple | ast.List) and _is_shape(value):
                held += [(t, "dim", node.lineno, end) for t in _names(target)]
    return held


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for element in target.elts for n in _names(element)]
    return []


class RegularizationLossRule(Rule):
    """`tf.losses.get_regularization_loss()` and the `REGULARIZATION_LOSSES` collection sum
    the penalties that `get_variable(regularizer=...)` and TF1 layers registered. Keras
    layers register none there: once the layers are Keras layers, they return 0.0 and the
    model trains unregularised, without an error. While the variables still come from
    `get_variable` the sum is right, but a later step of the migration silently drops it, so
    the finding stays an error (through compat.v1 too) until parity shows the penalty kept;
    reached through `tensorflow` it gets the compat.v1 spelling. The penalties of Keras
    layers are in `model.losses`."""

    id = "TF905"
    name = "regularization-losses"
    severity = Severity.ERROR
    message = "`{name}` misses Keras layers' penalties (0.0 once the layers are Keras layers)"
    replacement = "`model.losses` (`fit` adds them; a custom loop sums them itself)"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.train_step"
    names = frozenset(
        {
            "tf.losses.get_regularization_loss",
            "tf.losses.get_regularization_losses",
            "tf.GraphKeys.REGULARIZATION_LOSSES",
        }
    )
    fix_safety = (
        "The fix only spells the name through compat.v1, which sums the same collection: the "
        "right total while the variables come from `get_variable(regularizer=...)`, still 0.0 "
        "for Keras layers' penalties, which is what the finding is about."
    )
    VALID = [
        Valid(
            """
            import keras
            loss = data_loss + sum(model.losses)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            loss = data_loss + tf.losses.get_regularization_loss()
            """,
            [
                Expect(
                    2,
                    20,
                    "`tf.losses.get_regularization_loss` misses Keras layers' penalties "
                    "(0.0 once the layers are Keras layers) "
                    "(`tf.losses.get_regularization_loss` no longer exists in TF 2.21's "
                    "`tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            loss = data_loss + tf.compat.v1.losses.get_regularization_loss()
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            reg = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
            """,
            [
                Expect(
                    2,
                    25,
                    "`tf.GraphKeys.REGULARIZATION_LOSSES` misses Keras layers' "
                    "penalties (0.0 once the layers are Keras layers) "
                    "(`tf.GraphKeys.REGULARIZATION_LOSSES` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            reg = tf.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
            """,
        ),
    ]


CONTRIB_EQUIVALENTS = {
    "l2_regularizer": (
        "`keras.regularizers.L2(scale / 2)`: TF1's penalty is scale * sum(w**2) / 2, Keras' "
        "l2 * sum(w**2)"
    ),
    "l1_regularizer": "`keras.regularizers.L1(scale)`: the same penalty",
    "xavier_initializer": (
        "`keras.initializers.GlorotUniform()` (`GlorotNormal()` for uniform=False; TF1's "
        "normal variant is truncated, as Keras' is)"
    ),
    "batch_norm": (
        "`keras.layers.BatchNormalization(momentum=decay, epsilon=epsilon, scale=False)`: "
        "contrib's defaults are decay 0.999, epsilon 0.001, no scale (gamma); Keras' are "
        "momentum 0.99 and a scale"
    ),
    "fully_connected": (
        "`keras.layers.Dense(units, activation='relu')`: fully_connected's default "
        "activation is ReLU, Dense's none"
    ),
}


def contrib_equivalent(name: str, call: ast.Call | None = None) -> str | None:
    """The exact Keras replacement of a `tf.contrib.layers` / slim piece, if there is one;
    for a `batch_norm` call, with the call's own arguments."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[1] == "contrib" and parts[2] in ("layers", "slim"):
        if parts[-1] == "batch_norm" and call is not None:
            return _batch_norm_equivalent(call)
        return CONTRIB_EQUIVALENTS.get(parts[-1])
    return None


# contrib batch_norm's parameters, in order, and their defaults (TF 1.15)
_BATCH_NORM = ("inputs", "decay", "center", "scale", "epsilon")
_BATCH_NORM_DEFAULTS = {"decay": "0.999", "center": "True", "scale": "False", "epsilon": "0.001"}


def _batch_norm_equivalent(call: ast.Call) -> str:
    """`keras.layers.BatchNormalization(...)` with the values this call gives contrib's
    `batch_norm` (its defaults where it gives none)."""
    given = dict(_BATCH_NORM_DEFAULTS)
    for parameter, value in zip(_BATCH_NORM, positional(call), strict=False):
        if parameter in given:
            given[parameter] = ast.unparse(value)
    for keyword in call.keywords:
        if keyword.arg in given:
            given[keyword.arg] = ast.unparse(keyword.value)
    center = "" if given["center"] == "True" else f", center={given['center']}"
    return (
        f"`keras.layers.BatchNormalization(momentum={given['decay']}, "
        f"epsilon={given['epsilon']}{center}, scale={given['scale']})`: contrib's defaults are "
        "decay 0.999, epsilon 0.001, no scale (gamma); Keras' are momentum 0.99 and a scale"
    )


def l2_regularizer_fix(ctx, call: ast.Call) -> str | None:
    """`tf.contrib.layers.l2_regularizer(scale)` written as what it returned, TF1's own
    computation (`scale * l2_loss(w)`, the scale taken when the call ran), with the file's
    alias of `tensorflow`; None when the call has other arguments, a zero scale, or the
    file reaches TensorFlow through no such alias."""
    scale = positional(call)[0] if len(call.args) == 1 and not call.keywords else None
    if scale is None and not call.args and len(call.keywords) == 1:
        scale = keyword_arg(call, "scale").value if keyword_arg(call, "scale") else None
    if scale is None or (isinstance(scale, ast.Constant) and not scale.value):
        return None
    alias = next((n for n, full in ctx.bindings.names.items() if full == "tensorflow"), None)
    if alias is None:
        return None
    text = ctx.positions.source[slice(*ctx.positions.offsets(ctx.positions.span(scale)))]
    if "\n" in text or "#" in text:
        return None
    return f"lambda weights, scale={text}: {alias}.multiply(scale, {alias}.nn.l2_loss(weights))"


_LOOKUPS = frozenset({"tf.nn.embedding_lookup", "tf.nn.embedding_lookup_sparse"})


class PartitionStrategyRule(Rule):
    """TF1's embedding lookups took `partition_strategy=`, `'mod'` by default: with a list of
    shards as `params` (a partitioned embedding), id `i` was row `i // n` of shard `i % n`.
    TF2's have no such parameter (a TypeError) and always partition by `'div'` (contiguous
    ranges of ids per shard), so a TF1 call that relied on `'mod'`, by name or by default with
    a list of shards, looks up other rows on TF 2.21, silently where nothing names it. One
    table (not a list) is the same either way. `tf2rec fix` drops `partition_strategy='div'`
    (what TF2 does) and spells a `'mod'` lookup through `tf.compat.v1`, which still has it."""

    id = "TF910"
    name = "partition-strategy"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` partitions by 'div' in TF2"
    replacement = "drop `partition_strategy='div'`; `tf.compat.v1.nn.embedding_lookup` for 'mod'"
    fix_safety = (
        "TF 2.21's `tf.nn.embedding_lookup` calls TF1's with 'div', so dropping "
        "`partition_strategy='div'` keeps every row; `tf.compat.v1.nn.embedding_lookup` is "
        "TF1's function itself, 'mod' and all."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            e = tf.nn.embedding_lookup(emb, ids)
            """
        ),
        Valid(
            """
            import tensorflow.compat.v1 as tf
            e = tf.nn.embedding_lookup([w0, w1], ids, partition_strategy='mod')
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            item_emb = tf.nn.embedding_lookup(self.item_table, self.item_ids,
                                              partition_strategy='div')
            """,
            [
                Expect(
                    3,
                    35,
                    "`partition_strategy=` is gone in TF2, whose lookup partitions by 'div': "
                    "dropping it keeps the rows",
                ),
            ],
            fixed="""
            import tensorflow as tf
            item_emb = tf.nn.embedding_lookup(self.item_table, self.item_ids)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            shards = [tf.get_variable('emb_%d' % i, [1000, 16]) for i in range(4)]
            e = tf.nn.embedding_lookup(shards, ids, partition_strategy='mod')
            f = tf.nn.embedding_lookup([w0, w1], ids)
            """,
            [
                Expect(
                    3,
                    41,
                    "`tf.nn.embedding_lookup` partitions by 'div' in TF2: TF1's 'mod' looks "
                    "up other rows of a list of shards",
                ),
                Expect(
                    4,
                    5,
                    "`tf.nn.embedding_lookup` partitions by 'div' in TF2: TF1's 'mod' looks "
                    "up other rows of a list of shards",
                ),
            ],
            fixed="""
            import tensorflow as tf
            shards = [tf.get_variable('emb_%d' % i, [1000, 16]) for i in range(4)]
            e = tf.compat.v1.nn.embedding_lookup(shards, ids, partition_strategy='mod')
            f = tf.compat.v1.nn.embedding_lookup([w0, w1], ids)
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        name = _tf2_call(ctx, node)
        if name not in _LOOKUPS:
            return
        strategy = keyword_arg(node, "partition_strategy")
        value = strategy.value if strategy is not None else None
        if isinstance(value, ast.Constant) and value.value == "div":
            ctx.report(
                self,
                strategy,
                message="`partition_strategy=` is gone in TF2, whose lookup partitions by "
                "'div': dropping it keeps the rows",
                fix=_drop_keyword("partition_strategy"),
                fix_node=node,
            )
            return
        params = node.args[0] if node.args else None
        shards = isinstance(params, ast.List | ast.Tuple) and len(params.elts) > 1
        if strategy is None and not shards:
            return  # one table: 'mod' and 'div' are the same lookup
        head = (dotted(node.func) or "").partition(".")[0]
        compat = None
        if ctx.bindings.names.get(head) == "tensorflow":  # `tf.nn...`: keep the file's alias
            compat = f"{head}.compat.v1{name[2:]}"
        ctx.report(
            self,
            strategy if strategy is not None else node,
            message=f"`{name}` partitions by 'div' in TF2: TF1's 'mod' looks up other rows "
            "of a list of shards",
            fix=compat,
            fix_node=node.func,
        )


def _drop_keyword(keyword: str):
    """A fix of a call without its `keyword=` argument."""

    def fix(updated: cst.Call) -> cst.Call:
        kept = without_arguments(
            updated.args, lambda arg: arg.keyword is not None and arg.keyword.value == keyword
        )
        return updated.with_changes(args=kept)

    return fix


def without_arguments(args, dropped) -> list:
    """A call's libcst `args` without those `dropped` says, each one's comma (and the line
    break or space after it) passed on to the argument kept before it, so the layout stays."""
    kept = []
    for arg in args:
        if not dropped(arg):
            kept.append(arg)
        elif kept:
            kept[-1] = kept[-1].with_changes(comma=arg.comma)
    return kept
