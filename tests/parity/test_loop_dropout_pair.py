"""A 2018 session-based GRU (`dynamic_rnn`, a `DropoutWrapper`, after `fix --run-as-tf1`):
its dropout draws inside the while_loop, once per time step, which one fed value per step
cannot stand for. The report says so in a note naming the ops and the loop; with that
dropout off the pair is proven, in float64 too (the loop's TensorArray flows stay float32)."""

import numpy as np
import pytest

from tests.parity.gru_session_pair import NAME_MAP, batches
from tf2rec.interactions import DataError
from tf2rec.tools.parity import FLOAT64, first_failure, run_pair, table
from tf2rec.tools.parity.causes import GRADIENTS

PAIR = "tests.parity.gru_session_pair"
NOTE = (
    "random op(s) rnn/while/dropout/random_uniform/RandomUniform (RandomUniform) inside "
    "tf.while_loop 'rnn/while' draw once per iteration and are not fed: the two sides draw "
    "different values, so checks in training mode differ wherever they are used; check this "
    "model with that dropout off (keep probability 1 in train_feeds)"
)


def _run(keep_prob, tmp_path):
    return run_pair(
        f"{PAIR}:build",
        f"{PAIR}:make",
        batches(),
        {"keep_prob": keep_prob},
        optimizers=["sgd"],
        labels=["next_item"],
        name_map=NAME_MAP,
        lr=0.1,
        workdir=tmp_path,
        mode="auto",
    )


def test_with_the_loop_dropout_off_the_gru_pair_passes_and_the_note_names_the_loop(tmp_path):
    results = _run(1.0, tmp_path)
    assert all(r.passed for r in results), table(results)
    assert any(r.kind == FLOAT64 and r.check.startswith("gradients") for r in results)
    assert results.notes == [NOTE]


@pytest.mark.slow  # a second run of the pair, to show what the note explains
def test_with_the_loop_dropout_on_the_gradients_differ_and_the_note_says_why(tmp_path):
    results = _run(0.8, tmp_path)
    failure = first_failure(results)
    assert failure.check == "gradients (batch 0)" and failure.cause == GRADIENTS
    assert results.notes == [NOTE]


def _sampled_softmax(hparams):
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.set_random_seed(1)
    user = v1.placeholder(v1.float32, [None, 4], name="user")
    item = v1.placeholder(v1.int64, [None, 1], name="item")
    weights = v1.get_variable("softmax_w", [50, 4])
    biases = v1.get_variable("softmax_b", [50], initializer=v1.zeros_initializer())
    loss = v1.reduce_mean(
        v1.nn.sampled_softmax_loss(weights, biases, item, user, num_sampled=5, num_classes=50)
    )
    return {
        "inputs": {"user": user, "item": item},
        "outputs": {"loss": loss},
        "loss": loss,
        "optimizer": v1.train.GradientDescentOptimizer(hparams["lr"]),
    }


def test_a_candidate_sampler_in_the_loss_is_one_line_naming_it():
    data = {"user": np.ones((1, 2, 4), np.float32), "item": np.zeros((1, 2, 1), np.int64)}
    with pytest.raises(DataError) as error:
        run_pair(f"{__name__}:_sampled_softmax", lambda h: None, data, {}, optimizers=["sgd"])
    assert str(error.value).startswith(
        "the legacy loss depends on candidate sampler op(s) "
        "sampled_softmax_loss/LogUniformCandidateSampler (LogUniformCandidateSampler): they "
        "draw item ids that parity cannot give the Keras model"
    )
