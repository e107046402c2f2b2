"""Parity of any pair: the DeepFM example passes bit for bit, and wrong migrations of it fail
at the check and tensor where the mistake shows, with its likely cause."""

import json
import re
import sys

import keras
import numpy as np
import pytest

from tf2rec.interactions import DataError
from tf2rec.interactions.ctr import synthetic_clicks
from tf2rec.migrated.deepfm import NAME_MAP_FILE, make
from tf2rec.tools.cli import main
from tf2rec.tools.parity import SAME, first_failure, run_pair
from tf2rec.tools.parity.causes import (
    FORWARD_OUTPUT,
    GRADIENTS,
    MOVING_AVERAGE,
    SPARSE_SLOT,
)

LEGACY = "tf2rec.legacy.deepfm:build"
MIGRATED = "tf2rec.migrated.deepfm:make"
FIELDS = (30, 12, 6, 4)
HPARAMS = {"n_features": sum(FIELDS), "n_fields": len(FIELDS), "deep_layers": [16, 16]}
NAME_MAP = json.loads(NAME_MAP_FILE.read_text())


@pytest.fixture(scope="module")
def clicks(tmp_path_factory):
    """Batches of 64 rows over four fields, saved as a user would save theirs."""
    path = tmp_path_factory.mktemp("clicks") / "batches.npz"
    np.savez(path, **synthetic_clicks(2_000, FIELDS, seed=3).batches(64, steps=8, seed=4))
    return path


def test_the_deepfm_pair_is_bitwise(tf2rec_parity, clicks):
    results = tf2rec_parity(
        LEGACY,
        MIGRATED,
        clicks,
        HPARAMS,
        labels=["label"],
        name_map=str(NAME_MAP_FILE),
        mode="bitwise",
    )
    same = [r for r in results if r.kind == SAME]
    assert all(r.max_ulp == 0 for r in same)
    tensors = {(r.check, r.tensor) for r in results}
    assert ("forward (start weights)", "output 'logit', every batch") in tensors
    # training mode: dropout masks and batch statistics are in the gradients
    gradients = {r.tensor for r in results if r.check == "gradients (batch 0)"}
    assert {"layer_0", "bias_0", "bn_0/gamma", "bn_1/beta", "feature_embeddings"} <= gradients
    for optimizer in ("sgd", "adagrad", "adam"):
        check = f"after 8 steps ({optimizer})"
        trained = {r.tensor for r in results if r.check == check}
        assert {"bn_0/moving_mean", "bn_1/moving_variance", "global_step"} <= trained
    assert {"feature_embeddings/Adam_1", "beta2_power", "layer_1/Adagrad"} <= {
        r.tensor for r in results
    }


def _wrong(clicks, make_wrong, hparams=HPARAMS, optimizers=("adam",)):
    results = run_pair(
        LEGACY,
        make_wrong,
        clicks,
        hparams,
        optimizers=optimizers,
        steps=4,
        labels=["label"],
        name_map=NAME_MAP,
        mode="bitwise",  # the causes of float32 failures (float64: test_sasrec_pair.py)
    )
    return first_failure(results)


def test_keep_prob_passed_as_rate_fails_at_the_gradients(clicks):
    # keep 1/4: both dropouts scale by 4, exactly, so the right migration is bitwise
    hparams = {**HPARAMS, "dropout_deep": [0.25, 0.25]}

    def make_wrong(h):
        model = make(h)
        for layer in model.deep:
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = 0.25  # keep_prob where Keras wants the rate, 0.75
        return model

    failure = _wrong(clicks, make_wrong, hparams)
    assert failure.check == "gradients (batch 0)"
    assert failure.cause == GRADIENTS and "keep_prob as rate" in failure.cause


def test_batch_norm_momentum_left_at_its_default_fails_at_the_moving_mean(clicks):
    def make_wrong(h):
        return make({**h, "batch_norm_decay": 0.99})  # Keras' default; TF1's is 0.995

    failure = _wrong(clicks, make_wrong)
    assert (failure.check, failure.tensor) == ("after 4 steps (adam)", "bn_0/moving_mean")
    assert failure.cause == MOVING_AVERAGE


def test_a_transposed_square_kernel_fails_at_the_forward_outputs(clicks):
    def make_wrong(h):
        model = make(h)
        layer = next(layer for layer in model.deep if layer.name == "layer_1")
        assert layer.kernel.shape == (16, 16)  # square: the converter's shape check passes

        def transposed(inputs, training=None):  # a kernel the map loaded transposed
            return keras.ops.matmul(inputs, keras.ops.transpose(layer.kernel)) + layer.bias

        layer.call = transposed
        return model

    failure = _wrong(clicks, make_wrong)
    assert (failure.check, failure.tensor) == (
        "forward (start weights)",
        "output 'logit', every batch",
    )
    assert failure.cause == FORWARD_OUTPUT and "transposed" in failure.cause


def test_an_adam_that_squares_rows_before_summing_repeated_ids_fails_after_the_steps(clicks):
    def make_wrong(h):
        model = make(h)
        # stock Keras Adam: each row of a sparse gradient squared before ids are summed
        model.compile(optimizer=keras.optimizers.Adam(h["lr"]), loss=model.loss)
        return model

    failure = _wrong(clicks, make_wrong)
    assert failure.check == "after 4 steps (adam)"
    assert failure.cause == SPARSE_SLOT and "squares each row before summing" in failure.cause


def test_dropout_is_never_skipped(clicks):
    def make_without_dropout(h):
        return make({**h, "dropout_deep": [1.0, 1.0]})  # the legacy side keeps 0.5

    with pytest.raises(DataError, match=r"depends on 2 random op\(s\).*runs 0 Dropout"):
        run_pair(LEGACY, make_without_dropout, clicks, HPARAMS, optimizers=["sgd"], steps=1,
                 labels=["label"], name_map=NAME_MAP)  # fmt: skip


def test_mistakes_in_the_pair_are_named(clicks, tmp_path):
    with pytest.raises(DataError, match="write it as package.module:function"):
        run_pair(LEGACY, "no_colon", clicks, HPARAMS)
    with pytest.raises(DataError, match="label key\\(s\\) clicked not in the batches"):
        run_pair(LEGACY, MIGRATED, clicks, HPARAMS, labels=["clicked"])
    ragged = tmp_path / "ragged.npz"
    np.savez(ragged, features=np.zeros((3, 4, 4), np.int32), label=np.zeros((2, 4)))
    with pytest.raises(DataError, match="the same leading step axis"):
        run_pair(LEGACY, MIGRATED, ragged, HPARAMS)
    # the legacy process reports a mistake in its build as one line
    with pytest.raises(DataError, match="tf2rec.legacy.deepfm has no 'nothing'"):
        run_pair("tf2rec.legacy.deepfm:nothing", MIGRATED, clicks, HPARAMS, labels=["label"])


def test_the_command_line_finds_the_users_modules_in_the_current_folder(
    clicks, tmp_path, capsys, monkeypatch
):
    """As `python -m` and pytest do: no PYTHONPATH=. needed for `my_keras:make`."""
    (tmp_path / "my_legacy.py").write_text(f"from {LEGACY.replace(':', ' import ')}\n")
    (tmp_path / "my_keras.py").write_text(f"from {MIGRATED.replace(':', ' import ')}\n")
    (tmp_path / "hparams.json").write_text(json.dumps(HPARAMS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    pair = ["--legacy", "my_legacy:build", "--migrated", "my_keras:make", "--batches", str(clicks)]
    options = ["--hparams", "hparams.json", "--map", str(NAME_MAP_FILE), "--labels", "label"]
    code = main(["parity", *pair, *options, "--steps", "1", "--optimizers", "sgd", "--json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["passed"]


def test_the_command_line_runs_any_pair(clicks, tmp_path, capsys):
    hparams = tmp_path / "hparams.json"
    hparams.write_text(json.dumps(HPARAMS))
    pair = ["--legacy", LEGACY, "--migrated", MIGRATED, "--batches", str(clicks)]
    options = ["--hparams", str(hparams), "--map", str(NAME_MAP_FILE), "--labels", "label"]
    checks = ["--steps", "2", "--optimizers", "adagrad,sgd", "--mode", "bitwise"]
    code = main(["parity", *pair, *options, *checks, "--json", "--progress"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert code == 0 and report["passed"] and report["first_failure"] is None
    # a line per stage on stderr as it starts, after the time the run has taken so far
    stages = [line.split("] ", 1)[1] for line in err.splitlines()]
    assert stages == [
        "float32: the TF1 model, 2 steps per optimizer, in its own process",
        "float32: the Keras model's forward pass and gradients",
        "float32: the Keras model, 2 steps with adagrad",
        "float32: the Keras model, 2 steps with sgd",
    ]
    assert all(re.fullmatch(r"parity \[ *\d+ s\] .+", line) for line in err.splitlines())
    assert {c["check"] for c in report["comparisons"]} == {
        "forward (start weights)",
        "gradients (batch 0)",
        "after 2 steps (adagrad)",
        "after 2 steps (sgd)",
    }
    assert main(["parity", "--legacy", LEGACY, "--batches", str(clicks)]) == 2
    assert "add --migrated" in capsys.readouterr().err
    assert main(["parity", *pair, "--hparams", "{not json"]) == 2
    assert "--hparams {not json: not JSON" in capsys.readouterr().err


def _tf1_checkpoint(folder, variables: dict) -> str:
    """A TF1 name-based checkpoint holding `variables` (name -> array): its prefix."""
    import tensorflow as tf

    held = {
        name: tf.Variable(value, name=name.replace("/", "_")) for name, value in variables.items()
    }
    saver = tf.compat.v1.train.Saver(var_list=held, save_relative_paths=True)
    return saver.save(None, str(folder / "model.ckpt"))


@pytest.mark.slow  # three legacy processes
def test_a_checkpoint_of_another_model_is_refused_naming_what_differs(clicks, tmp_path, capsys):
    pair = ["--legacy", LEGACY, "--migrated", MIGRATED, "--batches", str(clicks)]
    options = [
        "--hparams", json.dumps(HPARAMS), "--map", str(NAME_MAP_FILE), "--labels", "label",
        "--steps", "1", "--optimizers", "sgd",
    ]  # fmt: skip
    other = _tf1_checkpoint(tmp_path, {"user_tower/mlp/kernel": np.zeros((4, 3), np.float32)})
    assert main(["parity", *pair, *options, "--checkpoint", other]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"tf2rec parity: error: checkpoint {other} is not this model's: it lacks bias_0, "
        "bias_1, bn_0/beta and "
    ), err
    assert len(err.splitlines()) == 1
    reshaped = tmp_path / "reshaped"
    reshaped.mkdir()
    wrong = _tf1_checkpoint(reshaped, {"feature_embeddings": np.zeros((3, 8), np.float32)})
    assert main(["parity", *pair, *options, "--checkpoint", wrong]) == 2
    assert f"feature_embeddings is [3, 8] there, [{sum(FIELDS)}, " in capsys.readouterr().err
    assert main(["parity", *pair, *options, "--checkpoint", str(tmp_path / "none")]) == 2
    assert f"checkpoint {tmp_path / 'none'}: cannot read it (" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--checkpoint", "x/model.ckpt-1"], "--checkpoint x/model.ckpt-1 starts your own pair"),
        (["--pair", "deepfm", "--checkpoint", "c"], "the shipped pairs from their own weights"),
        (["--pair", "deepfm", "--legacy-dir", "d"], "--legacy-dir d starts this project's"),
        (["--hparams", "{bad"], "--hparams {bad is given to your own pair's functions"),
    ],
)
def test_a_starting_point_where_it_does_not_apply_is_an_error(argv, message, capsys):
    assert main(["parity", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_seed_no_generator_takes_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["parity", "--seed", str(2**32)])
    assert stop.value.code == 2
    assert "--seed: seeds run from 0 to 4,294,967,295; got 4294967296" in capsys.readouterr().err
