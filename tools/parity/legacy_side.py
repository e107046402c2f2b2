"""The legacy half of the parity harness, run in its own process (TF1 behaviour is global).

    python -m tf2rec.tools.parity.legacy_side WORKDIR

reads `WORKDIR/spec.json` and `WORKDIR/batches.npz` (written by `harness`) and writes,
for the legacy model: `init-<optimizer>/` (the starting checkpoint, slots included),
`final-<optimizer>/` (after the training steps), and `legacy.npz` (user vectors and catalogue
scores of the probe users, the item table, the logits and the loss of every batch at the
starting weights, the gradients of the first batch, the loss of every training step per
optimizer).
"""

import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

from tf2rec.interactions.model_files import CHECKPOINT_PREFIX
from tf2rec.legacy.train import build, session_config

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)


def _model_variables(graph):
    with graph.as_default():
        return tf.trainable_variables()


def run(workdir):
    with open(os.path.join(workdir, "spec.json")) as f:
        spec = json.load(f)
    data = np.load(os.path.join(workdir, "batches.npz"))
    n = int(data["steps"])
    batches = [{k: data[k][i] for k in ("user", "history", "pos", "neg")} for i in range(n)]
    out = {}
    for index, optimizer in enumerate(spec["optimizers"]):
        hparams = dict(spec["hparams"], optimizer=optimizer, lr=spec["lr"])
        graph, model = build(hparams)
        with graph.as_default():
            grads = tf.gradients(model.loss, _model_variables(graph))
            dense = [tf.convert_to_tensor(g) for g in grads]
        with tf.Session(graph=graph, config=session_config()) as sess:
            sess.run(model.init_op)
            if spec.get("legacy_checkpoint"):
                with graph.as_default():
                    tf.train.Saver(var_list=_model_variables(graph)).restore(
                        sess, spec["legacy_checkpoint"]
                    )
            model.saver.save(
                sess,
                os.path.join(workdir, "init-" + optimizer, CHECKPOINT_PREFIX),
                global_step=model.global_step,
            )
            if index == 0:  # the forward pass does not depend on the optimizer
                user_vec = sess.run(
                    model.user_vector,
                    {model.user: data["probe_user"], model.history: data["probe_history"]},
                )
                out["user_vectors"] = user_vec
                out["item_table"] = sess.run(model.item_embedding)
                out["scores"] = user_vec @ out["item_table"].T  # as evaluate()
                logits, batch_loss = [], []
                for batch in batches:
                    pos, neg, loss = sess.run(
                        [model.pos_logit, model.neg_logits, model.loss], model.feed(batch)
                    )
                    logits.append(np.concatenate([pos[:, None], neg], axis=1))
                    batch_loss.append(loss)
                out["logits"] = np.stack(logits)
                out["batch_loss"] = np.array(batch_loss, dtype=np.float32)
                values = sess.run(dense, model.feed(batches[0]))
                for variable, value in zip(_model_variables(graph), values, strict=True):
                    out["grad/" + variable.op.name] = value
            losses = []
            for batch in batches:
                _, loss = sess.run([model.train_op, model.loss], feed_dict=model.feed(batch))
                losses.append(loss)
            out["train_loss/" + optimizer] = np.array(losses, dtype=np.float32)
            model.saver.save(
                sess,
                os.path.join(workdir, "final-" + optimizer, CHECKPOINT_PREFIX),
                global_step=model.global_step,
            )
    np.savez(os.path.join(workdir, "legacy.npz"), **out)


if __name__ == "__main__":
    run(sys.argv[1])
