"""TF 1.15's `tf.contrib.layers.embed_sequence`: an `EmbedSequence/embeddings` model variable
(Glorot uniform unless given) and `embedding_lookup` of the ids (`unique=True`: looked up once
per distinct id, then gathered, as contrib's `embedding_lookup_unique`)."""

import tensorflow as tf

from tf2rec.tf1.model_variables import model_variable

v1 = tf.compat.v1


def embed_sequence(
    ids,
    vocab_size=None,
    embed_dim=None,
    unique=False,
    initializer=None,
    regularizer=None,
    trainable=True,
    scope=None,
    reuse=None,
):
    """`tf.contrib.layers.embed_sequence`: `[batch, length]` ids -> `[batch, length, dim]`."""
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError(
            "Must specify vocab size and embedding dimension when not reusing. "
            f"Got vocab_size={vocab_size} and embed_dim={embed_dim}"
        )
    with v1.variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        shape = [vocab_size, embed_dim]
        if reuse and vocab_size is None or embed_dim is None:
            shape = None
        embeddings = model_variable(
            "embeddings",
            shape=shape,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable,
        )
        if not unique:
            return v1.nn.embedding_lookup(embeddings, ids)
        ids = tf.convert_to_tensor(ids)
        unique_ids, idx = tf.unique(tf.reshape(ids, [-1]))
        unique_embeddings = v1.nn.embedding_lookup(embeddings, unique_ids)
        embeds = tf.reshape(
            tf.gather(unique_embeddings, idx),
            tf.concat([tf.shape(ids), tf.shape(unique_embeddings)[1:]], 0),
        )
        embeds.set_shape(ids.shape.concatenate(unique_embeddings.shape[1:]))
        return embeds
