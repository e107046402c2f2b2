"""Input pipelines: graph iterators, queue runners, py_func."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid
from tf2rec.tools.scan.rules.renames import RenamedApiRule


class V1IteratorRule(Rule):
    """One-shot and initializable iterators exist for sessions. A TF2 `tf.data.Dataset` is
    iterated with a Python `for` loop, or passed to `model.fit`."""

    id = "TF601"
    name = "v1-iterator"
    message = "`{name}` creates a session-driven dataset iterator"
    replacement = "`for batch in dataset:` or `model.fit(dataset)`"
    calls = frozenset({".make_one_shot_iterator", ".make_initializable_iterator"})
    migrated = "tf2rec.migrated.data.training_dataset"
    names = frozenset(
        {
            "tf.data.make_one_shot_iterator",
            "tf.data.make_initializable_iterator",
            "tf.data.Iterator",
            "tf.data.get_output_types",
            "tf.data.get_output_shapes",
        }
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            for batch in dataset:
                pass
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            iterator = dataset.make_one_shot_iterator()
            """,
            [
                Expect(
                    2,
                    12,
                    "`.make_one_shot_iterator()` creates a session-driven dataset iterator",
                ),
            ],
        ),
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            iterator = tf.data.make_initializable_iterator(dataset)
            """,
            [
                Expect(
                    2,
                    12,
                    "`.make_initializable_iterator()` creates a session-driven dataset iterator",
                ),
                Expect(
                    2,
                    12,
                    "`tf.data.make_initializable_iterator` creates a session-driven "
                    "dataset iterator",
                ),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            ds = tf.data.Dataset.range(8).batch(2)
            it = ds.make_one_shot_iterator()
            """,
            [
                Expect(
                    3,
                    6,
                    "`.make_one_shot_iterator()`: a TF2 `tf.data.Dataset` has no such method",
                ),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in (
            "make_one_shot_iterator",
            "make_initializable_iterator",
        ):
            name = f".{func.attr}()"
            if ctx.dataset_namespace(func.value) == "v2":  # a TF2 dataset has no such method
                message = f"`{name}`: a TF2 `tf.data.Dataset` has no such method"
                ctx.report(self, func, name=name, message=message, severity=Severity.ERROR)
            else:
                ctx.report(self, func, name=name)


class QueueRunnerRule(Rule):
    """Queue runners fed graphs from background threads; `tf.data` replaced them."""

    id = "TF602"
    name = "queue-runner"
    message = "`{name}` is part of the queue-runner input pipeline"
    replacement = "a `tf.data.Dataset` pipeline"
    names = frozenset(
        {
            "tf.train.start_queue_runners",
            "tf.train.QueueRunner",
            "tf.train.add_queue_runner",
            "tf.train.queue_runner",
            "tf.FIFOQueue",
            "tf.RandomShuffleQueue",
            "tf.PaddingFIFOQueue",
            "tf.PriorityQueue",
            "tf.QueueBase",
            "tf.queue.FIFOQueue",
            "tf.queue.RandomShuffleQueue",
        }
    )
    prefixes = ("tf.train.queue_runner",)
    VALID = [
        Valid(
            """
            import tensorflow as tf
            dataset = tf.data.Dataset.range(10)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            threads = tf.train.start_queue_runners(sess=sess)
            """,
            [
                Expect(
                    2,
                    11,
                    "`tf.train.start_queue_runners` is part of the queue-runner input "
                    "pipeline (`tf.train.start_queue_runners` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            threads = tf.compat.v1.train.start_queue_runners(sess=sess)
            """,
        ),
    ]


class InputProducerRule(Rule):
    """`tf.train.batch`, `shuffle_batch` and the input producers built queue pipelines."""

    id = "TF603"
    name = "queue-input-producer"
    message = "`{name}` builds a queue-based input pipeline"
    replacement = "`tf.data.Dataset.from_tensor_slices(...).shuffle(...).batch(...)`"
    migrated = "tf2rec.migrated.data.training_dataset"
    names = frozenset(
        {
            "tf.train.batch",
            "tf.train.shuffle_batch",
            "tf.train.batch_join",
            "tf.train.shuffle_batch_join",
            "tf.train.maybe_batch",
            "tf.train.string_input_producer",
            "tf.train.input_producer",
            "tf.train.range_input_producer",
            "tf.train.slice_input_producer",
            "tf.WholeFileReader",
            "tf.TFRecordReader",
            "tf.TextLineReader",
        }
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            ds = tf.data.Dataset.from_tensor_slices(x).batch(32)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            queue = tf.train.string_input_producer(files)
            """,
            [
                Expect(
                    2,
                    9,
                    "`tf.train.string_input_producer` builds a queue-based input "
                    "pipeline (`tf.train.string_input_producer` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            queue = tf.compat.v1.train.string_input_producer(files)
            """,
        ),
    ]


class PyFuncRule(RenamedApiRule):
    """`tf.py_func` became `tf.numpy_function` (same behaviour) in TF2; `tf.py_function`
    is the eager-tensor variant. `tf2rec fix` applies the rename."""

    id = "TF604"
    name = "py-func"
    message = "`{name}` was renamed in TF2"
    replacement = "`tf.numpy_function(...)` (same semantics) or `tf.py_function`"
    RENAMES = {"tf.py_func": "tf.numpy_function"}
    CASTS = {}
    names = frozenset(RENAMES)
    VALID = [
        Valid(
            """
            import tensorflow as tf
            y = tf.numpy_function(f, [x], tf.float32)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            y = tf.py_func(f, [x], tf.float32)
            """,
            [
                Expect(2, 5, "`tf.py_func` was renamed in TF2; use `tf.numpy_function`"),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.numpy_function(f, [x], tf.float32)
            """,
        ),
    ]
