"""Keras 2 idioms that break on Keras 3."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid


class CompiledLossMetricsRule(Rule):
    """`self.compiled_loss` and `self.compiled_metrics` are gone in Keras 3. A custom
    `train_step` calls `self.compute_loss(...)` and updates metric objects."""

    id = "TF701"
    name = "compiled-loss-metrics"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` does not exist in Keras 3"
    replacement = "`self.compute_loss(x=x, y=y, y_pred=y_pred)`; update `self.metrics` objects"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.train_step"
    attributes = frozenset({"compiled_loss", "compiled_metrics"})
    VALID = [
        Valid(
            """
            import keras
            class M(keras.Model):
                def train_step(self, data):
                    loss = self.compute_loss(x=data, y=None, y_pred=self(data))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras
            class M(keras.Model):
                def train_step(self, data):
                    loss = self.compiled_loss(y, y_pred)
            """,
            [
                Expect(4, 16, "`.compiled_loss` does not exist in Keras 3"),
            ],
        ),
    ]

    def on_attribute(self, ctx, node: ast.Attribute) -> None:
        ctx.report(self, node, name=f".{node.attr}")


class LegacyOptimizersRule(Rule):
    """`keras.optimizers.legacy` held the Keras 2 optimizers; in Keras 3 they only raise."""

    id = "TF702"
    name = "keras-legacy-optimizers"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}`: Keras 3 has no legacy optimizers"
    replacement = "`keras.optimizers.Adam` & co."
    prefixes = ("tf.keras.optimizers.legacy", "keras.optimizers.legacy")
    VALID = [
        Valid(
            """
            import keras
            opt = keras.optimizers.Adam()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            opt = tf.keras.optimizers.legacy.Adam()
            """,
            [
                Expect(2, 7, "`tf.keras.optimizers.legacy.Adam`: Keras 3 has no legacy optimizers"),
            ],
        ),
    ]

    def on_import(self, ctx, node, module) -> None:
        if self.matches(module):
            ctx.report(self, node, name=module)


class BackendSessionRule(Rule):
    """Keras 3 has no session: `keras.backend.get_session` / `set_session` are gone."""

    id = "TF703"
    name = "keras-backend-session"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}`: Keras 3 has no session"
    replacement = "nothing (eager); `keras.backend.clear_session()` to reset state"
    names = frozenset(
        f"{root}.backend.{fn}"
        for root in ("keras", "tf.keras")
        for fn in ("get_session", "set_session")
    )
    VALID = [
        Valid(
            """
            import keras
            keras.backend.clear_session()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from keras import backend as K
            sess = K.get_session()
            """,
            [
                Expect(2, 8, "`keras.backend.get_session`: Keras 3 has no session"),
            ],
        ),
    ]


class SaveFormatTfRule(Rule):
    """`save_format="tf"` is rejected by Keras 3's `model.save`. Save `.keras` files, and
    export a SavedModel for serving with `model.export(path)` / `keras.export.ExportArchive`."""

    id = "TF704"
    name = "save-format-tf"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = '`save_format="tf"` is not accepted by Keras 3'
    replacement = "`model.save('model.keras')`; `model.export('dir')` for a SavedModel"
    calls = frozenset({"save_format="})
    migrated = "tf2rec.migrated.export.export_saved_model"
    VALID = [
        Valid(
            """
            import keras
            model.save('model.keras')
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras
            model.save('out', save_format='tf')
            """,
            [
                Expect(2, 19, '`save_format="tf"` is not accepted by Keras 3'),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        arg = keyword_arg(node, "save_format")
        if arg is not None and isinstance(arg.value, ast.Constant) and arg.value.value == "tf":
            ctx.report(self, arg)


_GENERATOR_METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}


class GeneratorMethodsRule(Rule):
    """Keras 3 removed `fit_generator`, `evaluate_generator` and `predict_generator`;
    `fit`, `evaluate` and `predict` take generators and datasets with the same meaning.
    `tf2rec fix` renames the call."""

    id = "TF705"
    name = "keras-generator-methods"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` does not exist in Keras 3"
    replacement = "`model.fit` / `evaluate` / `predict`, which take generators"
    calls = frozenset(f".{name}" for name in _GENERATOR_METHODS)
    VALID = [
        Valid(
            """
            import keras
            model.fit(batches, epochs=2)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras
            model.fit_generator(batches, epochs=2)
            """,
            [
                Expect(2, 1, "`.fit_generator()` does not exist in Keras 3"),
            ],
            fixed="""
            import keras
            model.fit(batches, epochs=2)
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _GENERATOR_METHODS:
            ctx.report(
                self, func, name=f".{func.attr}()", fix=_renamed(_GENERATOR_METHODS[func.attr])
            )


class OptimizerLrArgumentRule(Rule):
    """Keras 3 optimizers no longer accept `lr=`; it is `learning_rate=`, same meaning.
    `tf2rec fix` renames the keyword."""

    id = "TF706"
    name = "keras-lr-argument"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`lr=` is not accepted by Keras 3 optimizers"
    replacement = "`learning_rate=`"
    calls = frozenset({"lr="})
    VALID = [
        Valid(
            """
            import keras
            opt = keras.optimizers.Adam(learning_rate=0.01)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from tensorflow import keras
            opt = keras.optimizers.SGD(lr=0.1, momentum=0.9)
            """,
            [
                Expect(2, 28, "`lr=` is not accepted by Keras 3 optimizers"),
            ],
            fixed="""
            from tensorflow import keras
            opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
            """,
        ),
        Invalid(
            """
            import keras
            opt = keras.optimizers.Adam(lr=0.01)
            """,
            [
                Expect(2, 29, "`lr=` is not accepted by Keras 3 optimizers"),
            ],
            fixed="""
            import keras
            opt = keras.optimizers.Adam(learning_rate=0.01)
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is None or not resolved[0].startswith(
            ("keras.optimizers.", "tf.keras.optimizers.")
        ):
            return
        arg = keyword_arg(node, "lr")
        if arg is not None:
            ctx.report(self, arg, fix=_renamed("learning_rate"))


def _renamed(name: str):
    """A fix renaming an attribute (`.attr`) or a keyword argument (`name=`)."""

    def fix(node):
        import libcst as cst

        if isinstance(node, cst.Attribute):
            return node.with_changes(attr=cst.Name(name))
        return node.with_changes(keyword=cst.Name(name))

    return fix
