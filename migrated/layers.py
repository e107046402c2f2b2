"""Keras 3 layers of the two-tower recommender, mirroring `legacy/model.py` op for op.

Hyper-parameters and sub-layers live in `__init__`, weights are created lazily in `build()`,
the computation is in `call()`, and every layer round-trips through `get_config()`.
"""

from __future__ import annotations

import contextlib

import keras
from keras import ops

PACKAGE = "tf2rec"
# rows of an embedding table drawn at a time when it is built (1 MB at 64 dimensions)
DRAW_ROWS = 4096


@keras.saving.register_keras_serializable(package=PACKAGE)
class Linear(keras.layers.Layer):
    """`x @ kernel + bias`, the legacy `dense()` helper as a layer.

    >>> layer = Linear(4)
    >>> tuple(layer(ops.ones((2, 3))).shape)
    (2, 4)
    """

    def __init__(self, units: int, kernel_initializer="glorot_uniform", **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"{self.name}: the last input dimension must be known, got {input_shape}"
            )
        self.kernel = self.add_weight(
            shape=(in_dim, self.units), initializer=self.kernel_initializer, name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        """Args: inputs `[..., in_dim]`. Returns `[..., units]`."""
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class MLPBlock(keras.layers.Layer):
    """Linear -> ReLU -> Linear, with both sub-layers created in `__init__`.

    >>> block = MLPBlock(hidden_units=8, output_units=4)
    >>> tuple(block(ops.ones((2, 6))).shape)
    (2, 4)
    """

    def __init__(self, hidden_units: int, output_units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.output_units = output_units
        self.hidden = Linear(hidden_units, name="hidden")
        self.output_layer = Linear(output_units, name="output")

    def build(self, input_shape) -> None:
        self.hidden.build(input_shape)
        self.output_layer.build((*input_shape[:-1], self.hidden_units))

    def call(self, inputs):
        """Args: inputs `[B, in_dim]`. Returns `[B, output_units]`."""
        return self.output_layer(ops.relu(self.hidden(inputs)))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "hidden_units": self.hidden_units,
            "output_units": self.output_units,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class EmbeddingTable(keras.layers.Layer):
    """An id -> vector table that reads only the rows it looks up.

    `keras.layers.Embedding` converts its variable to a tensor before the lookup, which
    reads (and, when the optimizer then writes the variable, copies) the whole table every
    step: a cost that grows with the vocabulary. Gathering from the variable itself reads
    only the looked-up rows, as TF1's `embedding_lookup` did; the values and the sparse
    gradient are the same.

    With `shards` > 1 the table is that many variables of consecutive rows (the first
    `rows % shards` one row longer), as TF1's `fixed_size_partitioner` split a table, and a
    lookup gathers from each the rows it holds, as TF1's `embedding_lookup` of a list did:
    under `ParameterServerStrategy` each shard lives on a parameter server of its own, and
    an optimizer updates a shard's looked-up rows where it lives. (A Keras variable made by
    the strategy's `variable_partitioner` wraps a `ShardedVariable`, whose gradient Keras 3
    cannot take on TF 2.21.)

    >>> table = EmbeddingTable(10, 4)
    >>> tuple(table(ops.array([[1, 2, 0]])).shape)
    (1, 3, 4)
    """

    def __init__(
        self, rows: int, dim: int, init_stddev: float = 0.05, shards: int = 1, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if not 1 <= shards <= rows:
            raise ValueError(f"{self.name}: shards must be between 1 and {rows}, got {shards}")
        self.rows = rows
        self.dim = dim
        self.init_stddev = init_stddev
        self.shards = shards

    def build(self, input_shape=None) -> None:
        if self.shards == 1:
            shapes = {"embeddings": self.rows}
        else:
            base, extra = divmod(self.rows, self.shards)
            shapes = {f"embeddings_{i}": base + (i < extra) for i in range(self.shards)}
        self.parts = []
        with _eagerly():  # once, also when the layer is built while a function is traced
            seed = keras.random.SeedGenerator()  # not an attribute: no extra layer state
            for name, rows in shapes.items():
                part = self.add_weight(shape=(rows, self.dim), name=name, initializer="zeros")
                _draw_in_place(part, self.init_stddev, seed)
                self.parts.append(part)
        if self.shards == 1:
            self.embeddings = self.parts[0]

    def call(self, ids):
        """Args: ids, int ids of any shape `S`. Returns `S + [dim]`."""
        ids = ops.cast(ids, "int32")
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            if self.shards > 1:  # "div" partitioning: each id's row in the shard holding it
                return tf.nn.embedding_lookup([part.value for part in self.parts], ids)
            return tf.gather(self.embeddings.value, ids)  # ResourceGather: only these rows
        return ops.take(self.table, ids, axis=0)

    @property
    def table(self):
        """The whole `[rows, dim]` table (the shards' rows one after the other)."""
        if self.shards == 1:
            return self.embeddings
        return ops.concatenate([part.value for part in self.parts], axis=0)

    def assign_table(self, values) -> None:
        """Set the whole table from a `[rows, dim]` array, shard by shard."""
        start = 0
        for part in self.parts:
            part.assign(values[start : start + part.shape[0]])
            start += part.shape[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.dim)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rows": self.rows,
            "dim": self.dim,
            "init_stddev": self.init_stddev,
            "shards": self.shards,
        }


def _draw_in_place(variable, stddev: float, seed: keras.random.SeedGenerator) -> None:
    """Fill a zero `[rows, dim]` table with N(0, stddev) values, `DRAW_ROWS` rows at a time,
    each block written into the table's own buffer.

    With oneDNN on, TensorFlow's CPU allocator keeps every buffer it frees for reuse, so a
    temporary the size of a table stays in the process for good: a table drawn whole left
    two or three (the draw, its scaling, the variable's copy of them: about 500 MB more for
    two 1M x 64 tables). In blocks, written by the raw slice-assign op (`variable[a:b].assign`
    reads the variable first, and the read makes the write copy the whole table), what is
    left is a block's. Under a tf.distribute strategy the table is drawn whole.
    """
    rows, dim = variable.shape
    if keras.backend.backend() != "tensorflow" or _has_strategy():
        variable.assign(
            keras.random.normal((rows, dim), stddev=stddev, dtype=variable.dtype, seed=seed)
        )
        return
    import tensorflow as tf

    for start in range(0, rows, DRAW_ROWS):
        stop = min(rows, start + DRAW_ROWS)
        block = keras.random.normal(
            (stop - start, dim), stddev=stddev, dtype=variable.dtype, seed=seed
        )
        tf.raw_ops.ResourceStridedSliceAssign(
            ref=variable.value.handle,
            begin=[start, 0],
            end=[stop, dim],
            strides=[1, 1],
            value=block,
        )


def _has_strategy() -> bool:
    import tensorflow as tf

    return tf.distribute.has_strategy()


def _eagerly():
    """TensorFlow's `init_scope` (out of any function being traced); elsewhere nothing."""
    if keras.backend.backend() != "tensorflow":
        return contextlib.nullcontext()
    import tensorflow as tf

    return tf.init_scope()


@keras.saving.register_keras_serializable(package=PACKAGE)
class ItemTower(keras.layers.Layer):
    """Item id -> embedding. Its table also embeds the items of a user's history.

    >>> tower = ItemTower(n_items=10, embedding_dim=4)
    >>> tuple(tower(ops.array([[1, 2, 0]])).shape)
    (1, 3, 4)
    """

    def __init__(
        self,
        n_items: int,
        embedding_dim: int,
        init_stddev: float = 0.05,
        shards: int = 1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.n_items = n_items
        self.embedding_dim = embedding_dim
        self.init_stddev = init_stddev
        self.shards = shards
        self.embedding = EmbeddingTable(
            n_items, embedding_dim, init_stddev, shards, name="item_embedding"
        )

    def build(self, input_shape) -> None:
        self.embedding.build(input_shape)

    def call(self, items):
        """Args: items, int ids of any shape `S`. Returns `S + [embedding_dim]`."""
        return self.embedding(items)

    @property
    def table(self):
        """The `[n_items, embedding_dim]` item embedding table (for full-catalogue scoring)."""
        return self.embedding.table

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_items": self.n_items,
            "embedding_dim": self.embedding_dim,
            "init_stddev": self.init_stddev,
            "shards": self.shards,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class UserTower(keras.layers.Layer):
    """[user embedding, masked mean of the history's item vectors] -> MLP -> user vector.

    The history's item vectors come from the `ItemTower`, so both towers share one table.

    >>> tower = UserTower(n_users=5, embedding_dim=4, hidden_units=8)
    >>> history = ops.array([[3, 1, 0]])
    >>> vectors = ItemTower(10, 4)(history)
    >>> tuple(tower(ops.array([2]), vectors, history).shape)
    (1, 4)
    """

    def __init__(
        self,
        n_users: int,
        embedding_dim: int,
        hidden_units: int,
        init_stddev: float = 0.05,
        shards: int = 1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.n_users = n_users
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.init_stddev = init_stddev
        self.shards = shards
        self.embedding = EmbeddingTable(
            n_users, embedding_dim, init_stddev, shards, name="user_embedding"
        )
        self.mlp = MLPBlock(hidden_units, embedding_dim, name="mlp")

    def build(self, user_shape, history_vectors_shape=None, history_shape=None) -> None:
        self.embedding.build(user_shape)
        self.mlp.build((None, 2 * self.embedding_dim))

    def call(self, user, history_vectors, history):
        """Args:
            user: `[B]` user ids.
            history_vectors: `[B, L, D]` item vectors of the history.
            history: `[B, L]` item ids of the history, 0 where padded.

        Returns: `[B, D]` user vectors.
        """
        if len(history_vectors.shape) != 3 or history_vectors.shape[-1] != self.embedding_dim:
            raise ValueError(
                f"{self.name}: expected history vectors [B, L, {self.embedding_dim}], "
                f"received {tuple(history_vectors.shape)}"
            )
        user_vec = self.embedding(user)
        mask = ops.expand_dims(ops.cast(ops.greater(history, 0), history_vectors.dtype), -1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        history_mean = ops.sum(history_vectors * mask, axis=1) / count
        return self.mlp(ops.concatenate([user_vec, history_mean], axis=1))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_users": self.n_users,
            "embedding_dim": self.embedding_dim,
            "hidden_units": self.hidden_units,
            "init_stddev": self.init_stddev,
            "shards": self.shards,
        }
