"""Keras 2 idioms that break on Keras 3."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import dotted, has_star, keyword_arg
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid
from tf2rec.tools.scan.rules.meaning import without_arguments


class CompiledLossMetricsRule(Rule):
    """Finds `self.compiled_loss` and `self.compiled_metrics`, which a TF 2.x custom
    `train_step` called to apply what `compile` was given. Keras 3 has neither, so the
    first training step fails with an AttributeError. A Keras 3 `train_step` calls
    `self.compute_loss(x=x, y=y, y_pred=y_pred)`, which adds the layers' own losses as
    `compiled_loss` did with `regularization_losses=self.losses`, and updates the metric
    objects in `self.metrics` itself."""

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
        Invalid(
            """
            import tensorflow as tf


            class RankingModel(tf.keras.Model):
                def train_step(self, data):
                    x, y = data
                    with tf.GradientTape() as tape:
                        y_pred = self(x, training=True)
                        loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
                    self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
                    self.compiled_metrics.update_state(y, y_pred)
                    return {m.name: m.result() for m in self.metrics}
            """,
            [
                Expect(9, 20, "`.compiled_loss` does not exist in Keras 3"),
                Expect(11, 9, "`.compiled_metrics` does not exist in Keras 3"),
            ],
        ),
    ]

    def on_attribute(self, ctx, node: ast.Attribute) -> None:
        ctx.report(self, node, name=f".{node.attr}")


class LegacyOptimizersRule(Rule):
    """Finds `keras.optimizers.legacy` (and `tf.keras.optimizers.legacy`), where TF 2.11
    to 2.15 kept the Keras 2 optimizers after the new ones became the default. In Keras 3
    the legacy classes only raise an ImportError when created. Use `keras.optimizers.Adam`
    & co."""

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
        Invalid(
            """
            from tensorflow.keras.optimizers.legacy import Adam
            opt = Adam(learning_rate=1e-3)
            """,
            [
                Expect(1, 1, "`tf.keras.optimizers.legacy.Adam`: Keras 3 has no legacy optimizers"),
                Expect(2, 7, "`tf.keras.optimizers.legacy.Adam`: Keras 3 has no legacy optimizers"),
            ],
        ),
    ]

    def on_import(self, ctx, node, module) -> None:
        if self.matches(module):
            ctx.report(self, node, name=module)


class BackendSessionRule(Rule):
    """Finds `keras.backend.get_session` and `set_session`, with which Keras 2 code shared
    a TF1 session with the rest of the program (to initialize variables, to run ops built
    outside Keras, to set GPU options). Keras 3 has no session, and both names are gone: an
    AttributeError. Eager code needs none; `keras.backend.clear_session()` resets Keras'
    global state, and GPU options are `tf.config` calls (TF109)."""

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
        Invalid(
            """
            import tensorflow as tf

            sess = tf.Session(config=config)
            tf.keras.backend.set_session(sess)
            """,
            [
                Expect(4, 1, "`tf.keras.backend.set_session`: Keras 3 has no session"),
            ],
        ),
    ]


class SaveFormatTfRule(Rule):
    """Finds `save_format="tf"`, with which TF 2.x Keras wrote a SavedModel directory from
    `model.save` or `keras.models.save_model`. Keras 3 raises a ValueError for it unless the path
    ends in `.keras` or `.h5`. It saves `.keras` files (architecture, weights and optimizer state in
    one archive); a SavedModel for TensorFlow Serving comes from `model.export(path)` or
    `keras.export.ExportArchive`."""

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
        Invalid(
            """
            import tensorflow as tf


            def export(model, export_dir):
                tf.keras.models.save_model(model, export_dir, save_format='tf')
            """,
            [
                Expect(5, 51, '`save_format="tf"` is not accepted by Keras 3'),
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


# Keras 2's options of the generator methods that Keras 3's fit / evaluate / predict lack
_LOADING_OPTIONS = frozenset({"workers", "use_multiprocessing", "max_queue_size"})


def _without_loading_options(method: str):
    """A fix calling `method` instead, without the loading options Keras 3 refuses."""

    def fix(updated):
        import libcst as cst

        kept = without_arguments(
            updated.args, lambda a: a.keyword is not None and a.keyword.value in _LOADING_OPTIONS
        )
        func = updated.func.with_changes(attr=cst.Name(method))
        return updated.with_changes(func=func, args=kept)

    return fix


class GeneratorMethodsRule(Rule):
    """Finds `fit_generator`, `evaluate_generator` and `predict_generator`, deprecated
    since TF 2.1 (when `fit` learned to take generators) and gone in Keras 3, where the
    call is an AttributeError. `fit`, `evaluate` and `predict` take a generator, a
    `keras.utils.PyDataset` or a `tf.data.Dataset` as their first argument, `x`; `tf2rec
    fix` renames the method. The options for loading batches in parallel (`workers`,
    `use_multiprocessing`, `max_queue_size`) are no longer arguments of `fit`: in Keras 3
    they belong to the `PyDataset`."""

    id = "TF705"
    name = "keras-generator-methods"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` does not exist in Keras 3"
    replacement = "`model.fit` / `evaluate` / `predict`, which take generators"
    calls = frozenset(f".{name}" for name in _GENERATOR_METHODS)
    fix_safety = (
        "Only the method's name changes: the generator stays the first argument, which "
        "`fit`, `evaluate` and `predict` read as `x`, and the keywords they share with the "
        "old methods (`steps_per_epoch`, `epochs`, `validation_data`, `steps`, `callbacks`, "
        "`verbose`) mean what they meant. `workers=`, `use_multiprocessing=` and "
        "`max_queue_size=`, which Keras 3's methods refuse, are dropped: they chose how batches "
        "were loaded, not which, and the generator is then read in order in one thread (give "
        "a `PyDataset` its `workers` to load in parallel again)."
    )
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
        Invalid(
            """
            from keras.models import load_model

            model = load_model('ncf.h5')
            scores = model.predict_generator(test_batches, steps=len(test_batches),
                                             verbose=1)
            """,
            [
                Expect(4, 10, "`.predict_generator()` does not exist in Keras 3"),
            ],
            fixed="""
            from keras.models import load_model

            model = load_model('ncf.h5')
            scores = model.predict(test_batches, steps=len(test_batches),
                                             verbose=1)
            """,
        ),
        Invalid(
            """
            import keras


            class Trainer(object):
                def train(self, train_batches, val_batches):
                    self.model.fit_generator(train_batches, epochs=self.epochs,
                                             validation_data=val_batches)
            """,
            [
                Expect(6, 9, "`.fit_generator()` does not exist in Keras 3"),
            ],
            fixed="""
            import keras


            class Trainer(object):
                def train(self, train_batches, val_batches):
                    self.model.fit(train_batches, epochs=self.epochs,
                                             validation_data=val_batches)
            """,
        ),
        Invalid(
            """
            from keras.utils import Sequence


            def train(model, batches, n_epochs):
                return model.fit_generator(batches, epochs=n_epochs,
                                           workers=4,
                                           use_multiprocessing=True)
            """,
            [
                Expect(
                    5,
                    12,
                    "`.fit_generator()` does not exist in Keras 3, nor `workers=`, "
                    "`use_multiprocessing=` in `.fit()`: parallel loading belongs to a "
                    "`keras.utils.PyDataset`",
                ),
            ],
            fixed="""
            from keras.utils import Sequence


            def train(model, batches, n_epochs):
                return model.fit(batches, epochs=n_epochs)
            """,
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in _GENERATOR_METHODS:
            return
        method = _GENERATOR_METHODS[func.attr]
        loading = [k.arg for k in node.keywords if k.arg in _LOADING_OPTIONS]
        if not loading:
            ctx.report(self, func, name=f".{func.attr}()", fix=_renamed(method))
            return
        given = ", ".join(f"`{k}=`" for k in loading)
        ctx.report(
            self,
            func,
            message=f"`.{func.attr}()` does not exist in Keras 3, nor {given} in `.{method}()`: "
            "parallel loading belongs to a `keras.utils.PyDataset`",
            fix=_without_loading_options(method),
            fix_node=node,
        )


class OptimizerLrArgumentRule(Rule):
    """Finds `lr=` in a Keras optimizer's constructor. Keras 2 accepted it as an old alias of
    `learning_rate=`; Keras 3 optimizers reject it ("Argument(s) not recognized"), so the program
    stops where the optimizer is built. `tf2rec fix` renames the keyword. Mind the defaults when an
    optimizer is built without one: Keras' `SGD` starts at 0.01, its `Adam`, `Adagrad` and `RMSprop`
    at 0.001. Keras 2's `decay=` (the rate divided by `1 + decay * iterations`) is ignored by
    Keras 3 with a warning, so the rate stops decaying: Keras 3 spells it
    `learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, 1, decay)`, the same
    formula, which `tf2rec fix` writes where the call names its rate."""

    id = "TF706"
    name = "keras-lr-argument"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`lr=` is not accepted by Keras 3 optimizers"
    replacement = "`learning_rate=`"
    calls = frozenset({"lr=", "decay="})
    fix_safety = (
        "In Keras 2 `lr` was an alias of `learning_rate`, so the renamed keyword gives the "
        "same value to the same parameter. `InverseTimeDecay(lr, 1, decay)` computes "
        "`lr / (1 + decay * step)`, Keras 2's decayed rate at each step."
    )
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
        Invalid(
            """
            from keras import optimizers

            sgd = optimizers.SGD(lr=0.01, decay=1e-6,
                                 momentum=0.9, nesterov=True)
            adam = optimizers.Adam(decay=1e-4)
            """,
            [
                Expect(3, 22, "`lr=` is not accepted by Keras 3 optimizers"),
                Expect(
                    3,
                    31,
                    "`decay=` is ignored by Keras 3 optimizers (the rate no longer decays): "
                    "`learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, 1, decay)`",
                ),
                Expect(
                    5,
                    24,
                    "`decay=` is ignored by Keras 3 optimizers (the rate no longer decays): "
                    "`learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, 1, decay)`",
                ),
            ],
            fixed="""
            from keras import optimizers

            sgd = optimizers.SGD(learning_rate=optimizers.schedules.InverseTimeDecay(0.01, 1, 1e-6),
                                 momentum=0.9, nesterov=True)
            adam = optimizers.Adam(decay=1e-4)
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
        decay = keyword_arg(node, "decay")
        if decay is None:
            if arg is not None:
                ctx.report(self, arg, fix=_renamed("learning_rate"))
            return
        rate = arg or keyword_arg(node, "learning_rate")
        module = dotted(node.func).rpartition(".")[0] if dotted(node.func) else ""
        fixed_by = None
        if rate is not None and module.endswith("optimizers") and not has_star(node):
            fixed_by = ctx.add_edit(node, _decay_schedule(f"{module}.schedules"))
        if arg is not None:
            ctx.report(self, arg, fixed_by=fixed_by)
        ctx.report(
            self,
            decay,
            message="`decay=` is ignored by Keras 3 optimizers (the rate no longer decays): "
            "`learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, 1, decay)`",
            fixed_by=fixed_by,
        )


def _decay_schedule(schedules: str):
    """A fix giving the optimizer `learning_rate=<schedules>.InverseTimeDecay(lr, 1, decay)`
    in place of its rate, and no `decay=`."""

    def fix(updated):
        import libcst as cst

        args = list(updated.args)
        names = [a.keyword.value if a.keyword else None for a in args]
        rate = args[names.index("lr" if "lr" in names else "learning_rate")]
        decay = args[names.index("decay")]
        schedule = cst.parse_expression(
            f"{schedules}.InverseTimeDecay(_lr, 1, _decay)"
        ).with_changes(
            args=[
                cst.Arg(rate.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(
                    cst.Integer("1"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                ),
                cst.Arg(decay.value),
            ]
        )
        new = rate.with_changes(keyword=cst.Name("learning_rate"), value=schedule)
        kept = without_arguments([new if a is rate else a for a in args], lambda a: a is decay)
        return updated.with_changes(args=kept)

    return fix


def _renamed(name: str):
    """A fix renaming an attribute (`.attr`) or a keyword argument (`name=`)."""

    def fix(node):
        import libcst as cst

        if isinstance(node, cst.Attribute):
            return node.with_changes(attr=cst.Name(name))
        return node.with_changes(keyword=cst.Name(name))

    return fix
