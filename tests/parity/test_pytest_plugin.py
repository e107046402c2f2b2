"""The pytest plugin as a user's project meets it: installed with the package, the fixture
is there; a failing pair fails its test with the parity table and the likely cause."""

import json

import numpy as np

from tf2rec.interactions.ctr import synthetic_clicks
from tf2rec.migrated.deepfm import NAME_MAP_FILE

FIELDS = (20, 8, 4)

TEST_FILE = """
import json

import wrong_migration

HPARAMS = {hparams}


def test_right(tf2rec_parity):
    results = tf2rec_parity("tf2rec.legacy.deepfm:build", "tf2rec.migrated.deepfm:make",
                            "batches.npz", HPARAMS, labels=["label"], name_map={map!r})
    assert {{r.check for r in results}} == {{
        "forward (start weights)", "gradients (batch 0)", "after 2 steps (adam)"}}


def test_wrong(tf2rec_parity):
    tf2rec_parity("tf2rec.legacy.deepfm:build", wrong_migration.make, "batches.npz", HPARAMS,
                  labels=["label"], name_map={map!r})
"""

WRONG = """
from tf2rec.migrated.deepfm import make as right


def make(hparams):
    return right({**hparams, "batch_norm_decay": 0.99})  # Keras' default momentum
"""


def test_the_fixture_passes_a_right_pair_and_fails_a_wrong_one(pytester):
    np.savez(
        pytester.path / "batches.npz",
        **synthetic_clicks(500, FIELDS, seed=5).batches(32, steps=4, seed=6),
    )
    hparams = {"n_features": sum(FIELDS), "n_fields": len(FIELDS), "deep_layers": [8, 8]}
    pytester.makepyfile(
        wrong_migration=WRONG,
        test_migration=TEST_FILE.format(hparams=json.dumps(hparams), map=str(NAME_MAP_FILE)),
    )
    result = pytester.runpytest_subprocess(
        "--parity-steps", "2", "--parity-optimizers", "adam", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*parity failed*",
            "*after 2 steps (adam)*bn_0/moving_mean*FAIL*",
            "*first failure: after 2 steps (adam), bn_0/moving_mean. Likely cause:*momentum*",
        ]
    )


def test_the_plugin_adds_its_options(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*tf2rec parity*", "*--parity-steps*", "*--parity-optimizers*"])
