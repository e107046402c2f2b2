"""`tf2rec parity` on a TF1 model as `fix --run-as-tf1` leaves one: tf.layers from
tf2rec.tf1, a dropout inside `tf.cond` (an `is_training` placeholder), an int32
`global_step` that the model's own train op increments, and no graph seed."""

import numpy as np

from tests.parity.tf1_layers_pair import batches
from tf2rec.tools.parity.compare import SAME
from tf2rec.tools.parity.harness import run_pair

PAIR = "tests.parity.tf1_layers_pair"


def test_parity_accepts_a_tf1_layers_model_with_cond_dropout_an_int32_step_and_no_seed(
    tmp_path,
):
    results = run_pair(
        f"{PAIR}:build",
        f"{PAIR}:make",
        batches(),
        optimizers=("sgd",),
        labels=("label",),
        lr=0.05,
        seed=7,
        workdir=tmp_path,
        mode="auto",
    )
    failed = [(r.check, r.tensor) for r in results if not r.passed]
    assert failed == []
    # the dropout inside tf.cond was fed the drawn values on both sides: one random op,
    # [steps, batch, hidden] uniform draws
    legacy = np.load(tmp_path / "legacy.npz")
    assert legacy["random/0"].shape == (4, 16, 8)
    assert "dropout" in str(legacy["random_op/0"])
    # the int32 step is compared by value after the model's own train op ran 4 times
    (step,) = [r for r in results if r.tensor == "global_step"]
    assert step.kind == SAME and step.passed and step.max_abs == 0
    # the seed the harness set, reported
    assert int(legacy["seed/graph"]) == 7
    assert results.notes == [
        "the legacy graph had no seed (tf.set_random_seed) and the legacy process runs with "
        "op determinism, which needs one: the harness set graph seed 7 (--seed); its random "
        "ops' values are fed anyway"
    ]
