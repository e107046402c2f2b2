"""Input pipelines: graph iterators, queue runners, py_func."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid
from tf2rec.tools.scan.rules.renames import RenamedApiRule


class V1IteratorRule(Rule):
    """Finds one-shot and initializable iterators (`make_one_shot_iterator`,
    `make_initializable_iterator`, as dataset methods or `tf.data` functions, and
    `tf.data.Iterator`): a session pulled batches from their `get_next()` op, after
    running an initializable iterator's init op. A TF2 `tf.data.Dataset` has no such
    methods (an AttributeError), and the compat.v1 functions need graph mode. Iterate the
    dataset with a Python `for`, or pass it to `model.fit`."""

    id = "TF601"
    name = "v1-iterator"
    message = "`{name}` creates a session-driven dataset iterator"
    replacement = "`for batch in dataset:` or `model.fit(dataset)`"
    calls = frozenset({".make_one_shot_iterator", ".make_initializable_iterator"})
    migrated = "tf2rec.migrated.datasets.training_dataset"
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
    """Finds queue runners and queues (`start_queue_runners`, `QueueRunner`, `FIFOQueue`,
    ...): TF1's input machinery, where background threads started by the session filled a
    queue that the graph dequeued batches from. TF 2.21's `tensorflow` has no
    `tf.train.start_queue_runners`, and under eager execution queue runners raise a
    RuntimeError. `tf.data` replaced all of it (from TF 1.4 on): a `tf.data.Dataset` reads,
    shuffles, batches and prefetches, and is iterated with `for` or given to `fit`."""

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
    fix_safety = (
        "The compat.v1 names are TF1's queues and queue runners themselves: the same pipeline, "
        "which runs in graph mode once a session starts its threads."
    )
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
        Invalid(
            """
            import tensorflow as tflow


            class Trainer(object):
                def train(self):
                    coord = tflow.train.Coordinator()
                    threads = tflow.train.start_queue_runners(sess=self.sess,
                                                              coord=coord)
            """,
            [
                Expect(
                    7,
                    19,
                    "`tf.train.start_queue_runners` is part of the queue-runner input "
                    "pipeline (`tf.train.start_queue_runners` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Trainer(object):
                def train(self):
                    coord = tflow.train.Coordinator()
                    threads = tflow.compat.v1.train.start_queue_runners(sess=self.sess,
                                                              coord=coord)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            queue = tf.FIFOQueue(capacity=1000, dtypes=[tf.int32, tf.float32])
            enqueue_op = queue.enqueue([user_ids, ratings])
            """,
            [
                Expect(
                    2,
                    9,
                    "`tf.FIFOQueue` is part of the queue-runner input pipeline "
                    "(`tf.FIFOQueue` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            queue = tf.compat.v1.FIFOQueue(capacity=1000, dtypes=[tf.int32, tf.float32])
            enqueue_op = queue.enqueue([user_ids, ratings])
            """,
        ),
    ]


class InputProducerRule(Rule):
    """Finds TF1's queue-based input functions: the input producers
    (`string_input_producer`, `slice_input_producer`, ...), the readers
    (`TFRecordReader`, `TextLineReader`, ...) and the batchers (`tf.train.batch`,
    `shuffle_batch`, ...). Together they built a pipeline of queues that only ran once a
    session started its queue runners (TF602). TF 2.21's `tensorflow` has none of them,
    and under eager execution they raise a RuntimeError. The same pipeline is a few
    `tf.data` calls: `TFRecordDataset(files).shuffle(n).batch(b)`."""

    id = "TF603"
    name = "queue-input-producer"
    message = "`{name}` builds a queue-based input pipeline"
    replacement = "`tf.data.Dataset.from_tensor_slices(...).shuffle(...).batch(...)`"
    migrated = "tf2rec.migrated.datasets.training_dataset"
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
    fix_safety = (
        "The compat.v1 names are TF1's producers, readers and batchers themselves: the same "
        "batches, in graph mode, once a session starts the queue runners."
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
        Invalid(
            """
            import tensorflow as tf

            filename_queue = tf.train.string_input_producer(filenames, num_epochs=None)
            reader = tf.TFRecordReader()
            _, serialized = reader.read(filename_queue)
            batch = tf.train.shuffle_batch([serialized], batch_size=256,
                                           capacity=10000, min_after_dequeue=1000)
            """,
            [
                Expect(
                    3,
                    18,
                    "`tf.train.string_input_producer` builds a queue-based input "
                    "pipeline (`tf.train.string_input_producer` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    10,
                    "`tf.TFRecordReader` builds a queue-based input pipeline "
                    "(`tf.TFRecordReader` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    6,
                    9,
                    "`tf.train.shuffle_batch` builds a queue-based input pipeline "
                    "(`tf.train.shuffle_batch` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            filename_queue = tf.compat.v1.train.string_input_producer(filenames, num_epochs=None)
            reader = tf.compat.v1.TFRecordReader()
            _, serialized = reader.read(filename_queue)
            batch = tf.compat.v1.train.shuffle_batch([serialized], batch_size=256,
                                           capacity=10000, min_after_dequeue=1000)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow
            users, items, labels = tflow.train.batch([u, i, y], batch_size=512,
                                                     allow_smaller_final_batch=True)
            """,
            [
                Expect(
                    2,
                    24,
                    "`tf.train.batch` builds a queue-based input pipeline "
                    "(`tf.train.batch` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow
            users, items, labels = tflow.compat.v1.train.batch([u, i, y], batch_size=512,
                                                     allow_smaller_final_batch=True)
            """,
        ),
    ]


class PyFuncRule(RenamedApiRule):
    """Finds `tf.py_func`, which wrapped a Python function as a graph op that received
    and returned NumPy arrays (a metric from scikit-learn, a parser in `Dataset.map`).
    TF 2.21's `tensorflow` has no `tf.py_func`: it is `tf.numpy_function`, with the same
    parameters (`func`, `inp`, `Tout`, `stateful`, `name`) and the same behaviour, which
    is what `tf2rec fix` writes. `tf.py_function` is the variant whose function receives
    eager tensors. Either runs in the Python process that built it, so a model that uses
    one cannot be served from a SavedModel alone."""

    id = "TF604"
    name = "py-func"
    message = "`{name}` was renamed in TF2"
    replacement = "`tf.numpy_function(...)` (same semantics) or `tf.py_function`"
    RENAMES = {"tf.py_func": "tf.numpy_function"}
    CASTS = {}
    names = frozenset(RENAMES)
    fix_safety = (
        "`tf.numpy_function` takes the same arguments in the same order and calls the "
        "function the same way, on NumPy arrays; only the name changes."
    )
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
        Invalid(
            """
            import tensorflow as tf

            dataset = dataset.map(
                lambda line: tf.py_func(parse_line, [line], [tf.int64, tf.float32]))
            """,
            [
                Expect(4, 18, "`tf.py_func` was renamed in TF2; use `tf.numpy_function`"),
            ],
            fixed="""
            import tensorflow as tf

            dataset = dataset.map(
                lambda line: tf.numpy_function(parse_line, [line], [tf.int64, tf.float32]))
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Evaluator(object):
                def build(self, scores, labels):
                    self.auc = tflow.py_func(roc_auc_score, [labels, scores], tflow.double,
                                             stateful=False)
            """,
            [
                Expect(6, 20, "`tf.py_func` was renamed in TF2; use `tf.numpy_function`"),
            ],
            fixed="""
            import tensorflow as tflow


            class Evaluator(object):
                def build(self, scores, labels):
                    self.auc = tflow.numpy_function(roc_auc_score, [labels, scores], tflow.double,
                                             stateful=False)
            """,
        ),
    ]
