"""TwoTowerRecommender: training steps, logs, saving, scoring, recommending."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops

from tf2rec.interactions import BatchSampler, leave_last_out, synthetic
from tf2rec.migrated import NegativeSamplingLoss, TwoTowerRecommender
from tf2rec.migrated.datasets import EpochTracker, eval_dataset, training_dataset


@pytest.fixture(scope="module")
def split():
    return leave_last_out(synthetic(300, 200, 9_000, seed=7))


def make_model(split, **kwargs):
    keras.utils.set_random_seed(0)
    model = TwoTowerRecommender(
        split.n_users, split.n_items, embedding_dim=8, hidden_units=16, history_length=5, **kwargs
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=NegativeSamplingLoss())
    return model


def sampler(split, seed=0):
    return BatchSampler(
        split.train, split.n_items, batch_size=128, negatives=3, history_length=5, seed=seed
    )


def test_fit_logs_the_real_loss_and_validation_metrics(split):
    model = make_model(split)
    batches = sampler(split)
    history = model.fit(
        training_dataset(batches, EpochTracker()),
        epochs=2,
        verbose=0,
        validation_data=eval_dataset(split.validation, 5),
    )
    losses = history.history["loss"]
    assert len(losses) == 2 and all(value > 0.5 for value in losses)
    assert losses[1] < losses[0]
    assert set(history.history) == {
        "loss",
        "val_recall_at_10",
        "val_ndcg_at_10",
        "val_hit_rate_at_10",
    }


def test_logged_loss_is_the_mean_of_the_step_losses(split):
    model = make_model(split)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=NegativeSamplingLoss())
    batches = list(sampler(split).epoch(0))
    expected = np.mean([float(NegativeSamplingLoss()(None, model(b))) for b in batches])
    history = model.fit(training_dataset(sampler(split), EpochTracker()), epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_evaluate_matches_numpy_over_the_full_catalogue(split):
    from tf2rec.interactions.ranking import evaluate_scores

    model = make_model(split)
    model.fit(training_dataset(sampler(split), EpochTracker()), epochs=1, verbose=0)
    ours = model.evaluate(eval_dataset(split.test, 5, batch_size=64), return_dict=True, verbose=0)
    history = split.test.history(5)

    def scores(rows):
        vectors = model.user_vectors(split.test.user[rows], history[rows])
        return ops.convert_to_numpy(model.catalogue_scores(vectors))

    expected = evaluate_scores(scores, split.test)
    assert ours["recall_at_10"] == pytest.approx(expected["recall@10"], abs=1e-6)
    assert ours["ndcg_at_10"] == pytest.approx(expected["ndcg@10"], abs=1e-6)


def test_keras_file_round_trip_gives_identical_predictions(split, tmp_path):
    model = make_model(split)
    model.fit(training_dataset(sampler(split), EpochTracker()), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded, TwoTowerRecommender)
    assert loaded.get_config() == model.get_config()
    batch = next(sampler(split, seed=3).epoch(0))
    assert np.array_equal(ops.convert_to_numpy(model(batch)), ops.convert_to_numpy(loaded(batch)))


LOAD = """
import sys
import keras
import numpy as np
{line}
model = keras.saving.load_model(sys.argv[1])  # safe mode, no custom_objects
batch = dict(np.load(sys.argv[2]))
np.save(sys.argv[3], keras.ops.convert_to_numpy(model(batch)))
print(type(model).__name__, type(model.optimizer).__name__, type(model.loss).__name__)
"""


def test_a_saved_model_loads_in_a_fresh_process_after_one_import(split, tmp_path):
    """Keras imports the module of a custom class only for its own packages (keras,
    keras_hub, ...), so one line registers tf2rec's classes: `import tf2rec.migrated`."""
    model = make_model(split)
    model.fit(training_dataset(sampler(split), EpochTracker()), epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    batch = next(sampler(split, seed=3).epoch(0))
    np.savez(tmp_path / "batch.npz", **batch)
    argv = [str(tmp_path / name) for name in ("model.keras", "batch.npz", "out.npy")]

    def load(line):
        script = tmp_path / "load.py"
        script.write_text(LOAD.format(line=line))
        return subprocess.run(
            [sys.executable, str(script), *argv], cwd=tmp_path, capture_output=True, text=True
        )

    loaded = load("import tf2rec.migrated  # registers tf2rec's Keras classes")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split() == ["TwoTowerRecommender", "Adam", "NegativeSamplingLoss"]
    assert np.array_equal(np.load(tmp_path / "out.npy"), ops.convert_to_numpy(model(batch)))
    without = load("")
    assert without.returncode == 1
    assert "Could not locate class 'TwoTowerRecommender'" in without.stderr


def test_score_and_recommend_are_consistent(split):
    model = make_model(split)
    user = np.array([1, 2, 3], np.int32)
    history = np.array([[5, 6, 0, 0, 0], [7, 0, 0, 0, 0], [0, 0, 0, 0, 0]], np.int32)
    items, scores = model.recommend(user, history, k=4)
    items, scores = ops.convert_to_numpy(items), ops.convert_to_numpy(scores)
    assert items.shape == (3, 4)
    assert not np.isin(items[0], [0, 5, 6]).any() and 7 not in items[1] and 0 not in items
    rescored = model.score(np.repeat(user, 4), np.repeat(history, 4, axis=0), items.ravel())
    np.testing.assert_allclose(ops.convert_to_numpy(rescored).reshape(3, 4), scores, rtol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()
    everything = ops.convert_to_numpy(model.catalogue_scores(model.user_vectors(user, history)))
    everything[:, 0] = -np.inf
    everything[0, [5, 6]] = -np.inf
    everything[1, 7] = -np.inf
    assert np.array_equal(np.argsort(-everything, axis=1, kind="stable")[:, :4], items)


def test_packed_targets_through_fit(split):
    from tf2rec.migrated import PackedNegativeSamplingLoss

    model = make_model(split)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=PackedNegativeSamplingLoss())
    batches = list(sampler(split).take(4))
    x = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    y = np.zeros((x["pos"].size, 4), "float32")
    y[:, 0] = 1
    history = model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
    expected = np.mean([float(NegativeSamplingLoss()(None, model(b))) for b in batches])
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_unknown_eval_protocol():
    with pytest.raises(ValueError, match="unknown eval_protocol 'ncf'"):
        TwoTowerRecommender(5, 5, eval_protocol="ncf")


def test_ncf_protocol_evaluation_against_numpy():
    from tf2rec.interactions.ranking import sample_candidates

    split = leave_last_out(synthetic(300, 1000, 9_000, seed=7))
    model = make_model(split, eval_protocol="sampled")
    candidates = sample_candidates(split.test, split.n_items, negatives=99, seed=1)
    assert candidates.shape == (len(split.test), 100)
    seen = [set(split.test.seen.row(u)) for u in split.test.user]
    assert all(not (set(row[1:]) & s) for row, s in zip(candidates, seen, strict=True))
    assert (candidates[:, 1:] != candidates[:, :1]).all()
    ours = model.evaluate(
        eval_dataset(split.test, 5, candidates=candidates), return_dict=True, verbose=0
    )
    vectors = ops.convert_to_numpy(model.user_vectors(split.test.user, split.test.history(5)))
    table = ops.convert_to_numpy(model.item_tower.table)
    scores = np.einsum("bd,bcd->bc", vectors, table[candidates])
    ranks = (scores[:, 1:] >= scores[:, :1]).sum(axis=1)
    assert ours["hit_rate_at_10"] == pytest.approx(np.mean(ranks < 10), abs=1e-6)
