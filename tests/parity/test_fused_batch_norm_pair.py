"""Float64 mode on a DeepFM whose TF1 batch normalisation is contrib's fused one
(`FusedBatchNormV3` and its gradient, rewritten into float64 ops): the stock Keras rewrite
differs in the moving variance only, and is told so; a rewrite with TF1's moving variance
is equal; wrong migrations still fail at their stage."""

import json

import keras
import pytest

from tests.parity.contrib_deepfm_pair import make_fused
from tf2rec.interactions.ctr import synthetic_clicks
from tf2rec.migrated.deepfm import NAME_MAP_FILE
from tf2rec.tools.parity import FLOAT64, first_failure, run_pair, table
from tf2rec.tools.parity.causes import GRADIENTS, MOVING_AVERAGE, MOVING_VARIANCE

PAIR = "tests.parity.contrib_deepfm_pair"
FIELDS = (30, 12, 6, 4)
HPARAMS = {"n_features": sum(FIELDS), "n_fields": len(FIELDS), "deep_layers": [16, 16]}


@pytest.fixture(scope="module")
def clicks():
    return synthetic_clicks(2_000, FIELDS, seed=3).batches(64, steps=3, seed=4)


def _run(clicks, migrated, hparams=HPARAMS):
    return run_pair(
        f"{PAIR}:build",
        migrated,
        clicks,
        hparams,
        optimizers=["adam"],
        labels=["label"],
        name_map=json.loads(NAME_MAP_FILE.read_text()),
        mode="float64",
    )


def test_a_rewrite_with_tf1s_fused_moving_variance_is_equal_in_float64(clicks):
    results = _run(clicks, f"{PAIR}:make_fused")
    assert all(r.passed and r.kind == FLOAT64 for r in results), table(results)
    checks = {r.check for r in results}
    assert {"forward (start weights)", "gradients (batch 0)", "after 3 steps (adam)"} == checks
    assert {"bn_0/gamma", "bn_1/beta"} <= {r.tensor for r in results}


def test_stock_batch_normalization_differs_in_the_moving_variance_and_is_told_so(clicks):
    results = _run(clicks, "tf2rec.migrated.deepfm:make")
    failed = sorted(r.tensor for r in results if not r.passed)
    assert failed == ["bn_0/moving_variance", "bn_1/moving_variance"], table(results)
    failure = first_failure(results)
    assert failure.check == "after 3 steps (adam)" and failure.cause == MOVING_VARIANCE
    # Bessel's correction over 64 rows: a wrong migration's size, not rounding
    assert max(r.ratio for r in results if not r.passed) > 1e3


@pytest.mark.slow  # two float64 runs of the pair, half a minute each
@pytest.mark.parametrize(
    ("wrong", "check", "cause"),
    [
        ("keep_prob", "gradients (batch 0)", GRADIENTS),
        ("momentum", "after 3 steps (adam)", MOVING_AVERAGE),
    ],
)
def test_wrong_migrations_fail_at_their_stage_in_float64(clicks, wrong, check, cause):
    hparams = {**HPARAMS, "dropout_deep": [0.75, 0.75]}
    if wrong == "keep_prob":

        def migrated(h):  # keep_prob 0.75 passed as Keras' rate
            model = make_fused(h)
            for layer in model.deep:
                if isinstance(layer, keras.layers.Dropout):
                    layer.rate = 0.75
            return model

    else:

        def migrated(h):  # Keras' default momentum, where the TF1 decay is 0.995
            return make_fused({**h, "batch_norm_decay": 0.99})

    failure = first_failure(_run(clicks, migrated, hparams))
    assert failure is not None and (failure.check, failure.cause) == (check, cause)
    if wrong == "momentum":
        assert failure.tensor == "bn_0/moving_mean"
