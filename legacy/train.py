"""Train the legacy TF1 model with a Session and a feed_dict loop (`tf2rec legacy-train`).

A model directory is self-describing: the Saver checkpoint (`model.ckpt-STEP.*`), `vocab.json`
and `hparams.json`, plus TensorBoard summaries under `logs/`.
"""

import json
import os
import time

import numpy as np
import tensorflow.compat.v1 as tf

from tf2rec.atomic import write_atomically
from tf2rec.interactions import BatchSampler, DataError, ModelSpec, save_vocabs
from tf2rec.interactions.model_files import CHECKPOINT_PREFIX, HPARAMS_FILE, LOGS_DIR
from tf2rec.interactions.ranking import evaluate_popularity, evaluate_scores
from tf2rec.interactions.user_items import save_user_items
from tf2rec.legacy.model import LegacyTwoTower

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)


def train(
    split,
    model_dir,
    epochs=10,
    steps=None,
    batch_size=1024,
    negatives=8,
    history_length=20,
    optimizer="adam",
    lr=0.01,
    embedding_dim=32,
    hidden_units=64,
    sampler="uniform",
    seed=0,
    eval_every=None,
    log=print,
):
    """Train on `split` and write the model dir.

    Returns a dict with the test metrics (`test`), the popularity baseline's (`popularity`)
    and the loss of every step (`losses`).
    """
    hparams = dict(
        ModelSpec(
            split.n_users, split.n_items, embedding_dim, hidden_units, history_length, negatives
        ).as_dict(),
        optimizer=optimizer,
        lr=lr,
        batch_size=batch_size,
        sampler=sampler,
        seed=seed,
    )
    batches = sampler_of(split, hparams)
    total_steps = steps if steps is not None else epochs * batches.steps_per_epoch
    graph, model = build_graph(hparams)
    with graph.as_default():
        with tf.Session(graph=graph, config=session_config()) as sess:
            sess.run(model.init_op)
            losses, step = run_steps(
                sess,
                model,
                graph,
                batches.take(total_steps),
                split,
                model_dir,
                total_steps,
                eval_every or batches.steps_per_epoch,
                log,
            )
            model.saver.save(
                sess, os.path.join(model_dir, CHECKPOINT_PREFIX), global_step=model.global_step
            )
            test = evaluate(sess, model, split.test)
    hparams["steps"] = int(step)
    write_serving_files(model_dir, split, hparams)
    popularity = evaluate_popularity(split.train, split.test, split.n_items)
    return {"test": test, "popularity": popularity, "losses": losses}


def sampler_of(split, hparams):
    """The batches of `split` that the settings in `hparams` ask for."""
    return BatchSampler(
        split.train,
        split.n_items,
        batch_size=hparams["batch_size"],
        negatives=hparams["negatives"],
        history_length=hparams["history_length"],
        sampler=hparams["sampler"],
        seed=hparams["seed"],
    )


def run_steps(sess, model, graph, batches, split, model_dir, total_steps, eval_every, log):
    """The feed_dict loop: one `train_op` per batch, summaries every 50 steps, validation
    every `eval_every` steps. Returns (the loss of every step, the last global step)."""
    writer = tf.summary.FileWriter(os.path.join(model_dir, LOGS_DIR), graph)
    losses, start, step, examples = [], time.time(), 0, 0
    for batch in batches:
        _, loss, summary, step = sess.run(
            [model.train_op, model.loss, model.summaries, model.global_step],
            feed_dict=model.feed(batch),
        )
        examples += batch["user"].size
        losses.append(float(loss))
        if not np.isfinite(loss):
            raise FloatingPointError("loss became %r at step %d; lower --lr" % (loss, step))
        if step % 50 == 0 or step == total_steps:
            writer.add_summary(summary, step)
        if step % eval_every == 0 or step == total_steps:
            metrics = evaluate(sess, model, split.validation)
            log(
                "step %d  loss %.4f  val recall@10 %.4f  ndcg@10 %.4f  (%.0f examples/s)"
                % (
                    step,
                    loss,
                    metrics["recall@10"],
                    metrics["ndcg@10"],
                    examples / (time.time() - start),
                )
            )
    writer.close()
    return losses, step


def write_serving_files(model_dir, split, hparams):
    """vocab.json, the users' items (what serving needs, once converted) and hparams.json."""
    save_vocabs(model_dir, split.users, split.items)
    save_user_items(model_dir, split)
    write_atomically(os.path.join(model_dir, HPARAMS_FILE), json.dumps(hparams, indent=2))


def build_graph(hparams):
    """A fresh graph holding the model described by `hparams` (the dict in hparams.json)."""
    graph = tf.Graph()
    with graph.as_default():
        model = LegacyTwoTower(
            optimizer=hparams["optimizer"],
            learning_rate=hparams["lr"],
            seed=hparams["seed"],
            **ModelSpec.from_dict(hparams).as_dict(),
        )
    return graph, model


def session_config():
    return tf.ConfigProto(allow_soft_placement=True)


def user_vectors(sess, model, users, history):
    return sess.run(model.user_vector, feed_dict={model.user: users, model.history: history})


def score_all_items(sess, model, users, history):
    """[n, n_items] scores of every item for each (user, history) row, via numpy."""
    return user_vectors(sess, model, users, history) @ sess.run(model.item_embedding).T


def evaluate(sess, model, eval_set, k=10):
    """Recall/NDCG over the full catalogue: vectors from the session, scoring in numpy."""
    items = sess.run(model.item_embedding)
    history = eval_set.history(model.history_length)

    def scores(rows):
        return user_vectors(sess, model, eval_set.user[rows], history[rows]) @ items.T

    return evaluate_scores(scores, eval_set, k)


def restore(model_dir):
    """Rebuild the graph from `hparams.json` and restore the latest checkpoint.

    Returns (session, model); the caller closes the session.
    """
    path = os.path.join(model_dir, HPARAMS_FILE)
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if not os.path.isfile(path) or checkpoint is None:
        raise DataError(
            "%s: no legacy model here (needs %s and a checkpoint); train one with "
            "`tf2rec legacy-train --model-dir %s`" % (model_dir, HPARAMS_FILE, model_dir)
        )
    with open(path) as f:
        hparams = json.load(f)
    graph, model = build_graph(hparams)
    sess = tf.Session(graph=graph, config=session_config())
    model.saver.restore(sess, checkpoint)
    return sess, model
