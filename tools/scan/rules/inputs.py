"""Input pipelines: graph iterators, queue runners, py_func."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.rule import Rule, Severity
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
    VALID = ["import tensorflow as tf\nfor batch in dataset:\n    pass\n"]
    INVALID = [
        "import tensorflow as tf\niterator = dataset.make_one_shot_iterator()\n",
        "import tensorflow.compat.v1 as tf\n"
        "iterator = tf.data.make_initializable_iterator(dataset)\n",
        "import tensorflow as tf\nds = tf.data.Dataset.range(8).batch(2)\n"
        "it = ds.make_one_shot_iterator()\n",
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
    VALID = ["import tensorflow as tf\ndataset = tf.data.Dataset.range(10)\n"]
    INVALID = ["import tensorflow as tf\nthreads = tf.train.start_queue_runners(sess=sess)\n"]


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
    VALID = ["import tensorflow as tf\nds = tf.data.Dataset.from_tensor_slices(x).batch(32)\n"]
    INVALID = ["import tensorflow as tf\nqueue = tf.train.string_input_producer(files)\n"]


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
    VALID = ["import tensorflow as tf\ny = tf.numpy_function(f, [x], tf.float32)\n"]
    INVALID = ["import tensorflow as tf\ny = tf.py_func(f, [x], tf.float32)\n"]
    FIXES = [
        (
            "import tensorflow as tf\ny = tf.py_func(f, [x], tf.float32)\n",
            "import tensorflow as tf\ny = tf.numpy_function(f, [x], tf.float32)\n",
        )
    ]
