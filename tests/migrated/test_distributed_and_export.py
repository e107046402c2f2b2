"""Behaviour that needs a fresh process: two replicas, and serving without this project."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf


def run_python(code: str, cwd, env_extra=None) -> dict:
    import os

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env_extra or {})}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loss_reduces_correctly_under_a_two_replica_strategy(tmp_path):
    result = run_python(
        """
        import json
        import numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from tf2rec.interactions import BatchSampler, leave_last_out, synthetic
        from tf2rec.migrated import NegativeSamplingLoss, TwoTowerRecommender
        split = leave_last_out(synthetic(200, 100, 4_000, seed=1))
        batch = next(BatchSampler(split.train, split.n_items, batch_size=64, negatives=3,
                                  history_length=4, seed=0).epoch(0))

        def one_step(strategy):
            with strategy.scope():
                keras.utils.set_random_seed(0)
                model = TwoTowerRecommender(split.n_users, split.n_items, 8, 8, 4)
                model.build()
                model.compile(optimizer=keras.optimizers.SGD(0.5), loss=NegativeSamplingLoss())
            data = tf.data.Dataset.from_tensors(batch)
            logs = model.fit(data, epochs=1, verbose=0).history
            return logs["loss"][0], [w.numpy() for w in model.trainable_weights]

        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        loss1, w1 = one_step(tf.distribute.OneDeviceStrategy(devices[0]))
        loss2, w2 = one_step(tf.distribute.MirroredStrategy(devices))
        diff = max(float(np.abs(a - b).max()) for a, b in zip(w1, w2))
        moved = max(float(np.abs(a).max()) for a in w1)
        print(json.dumps({"loss1": loss1, "loss2": loss2, "max_weight_diff": diff,
                          "replicas": len(devices)}))
    """,
        cwd=tmp_path,
    )
    assert result["replicas"] == 2
    assert result["loss2"] == result["loss1"] or abs(result["loss2"] - result["loss1"]) < 1e-6
    assert result["max_weight_diff"] < 1e-6


def test_saved_model_serves_raw_ids_in_a_process_without_keras_or_this_project(tmp_path):
    from keras import ops

    from tf2rec.interactions import Vocab
    from tf2rec.migrated import TwoTowerRecommender
    from tf2rec.migrated.export import export_saved_model

    users = Vocab(range(100, 109))  # 9 users: indices 1..9
    items = Vocab(range(1000, 1058, 2))  # 29 items: indices 1..29
    popularity = np.arange(30)[::-1].astype(np.int64)  # index 1 the most popular
    model = TwoTowerRecommender(10, 30, 4, 8, history_length=3)
    model.build()
    export_saved_model(model, tmp_path / "saved", users, items, popularity, k=5)
    raw_user = [101, 102, 999]  # 999: unknown
    raw_history = [[1006, 1008, 7], [1010, 7, 7], [1006, 7, 7]]  # 7: an unknown item
    raw_item = [1012, 1014, 1016]
    user, history = users.encode(raw_user), items.encode(raw_history)
    # Traced with the SavedModel's own signature (batch size unknown) and on the same batch:
    # Grappler and the kernels then see the graph and shapes the SavedModel runs, so its
    # scores are these to the bit (a graph traced for a known batch size may be optimised
    # into other kernels that sum in another order: seen 1 ULP apart).
    ids = [tf.TensorSpec([None], tf.int32), tf.TensorSpec([None, 3], tf.int32)]
    traced = tf.function(lambda u, h: model.recommend(u, h, k=5), input_signature=ids)
    traced_score = tf.function(model.score, input_signature=[*ids, tf.TensorSpec([None], tf.int32)])
    want_items, want_scores = traced(user, history)
    want_items = items.decode(ops.convert_to_numpy(want_items)[:2]).tolist()
    want_items.append(items.decode([1, 2, 3, 4, 5]).tolist())  # the unknown user: popular
    want_score = traced_score(user, history, items.encode(raw_item)).numpy()

    result = run_python(
        f"""
        import json, sys
        for name in ("keras", "tf2rec"):
            sys.modules[name] = None  # any import of these now fails
        import tensorflow as tf
        loaded = tf.saved_model.load({str(tmp_path / "saved")!r})
        user = tf.constant({raw_user}, tf.int64)
        history = tf.constant({raw_history}, tf.int64)
        rec = loaded.signatures["recommend"](user=user, history=history)
        sc = loaded.signatures["score"](user=user, history=history,
                                        item=tf.constant({raw_item}, tf.int64))
        print(json.dumps({{"signatures": sorted(loaded.signatures),
                          "items": rec["items"].numpy().tolist(),
                          "scores": rec["scores"].numpy().tolist(),
                          "score": sc["score"].numpy().tolist()}}))
    """,
        cwd=tmp_path,
    )
    assert {"score", "recommend"} <= set(result["signatures"])
    assert result["items"] == want_items
    assert np.array_equal(np.float32(result["scores"][:2]), ops.convert_to_numpy(want_scores)[:2])
    assert np.array_equal(np.float32(result["score"]), want_score)
    assert result["scores"][2] == [28.0, 27.0, 26.0, 25.0, 24.0]  # training counts
