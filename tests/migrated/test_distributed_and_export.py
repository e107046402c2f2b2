"""Behaviour that needs a fresh process: two replicas, and serving without this project."""

import json
import subprocess
import sys
import textwrap

import numpy as np


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


def test_saved_model_serves_in_a_process_without_keras_or_this_project(tmp_path):
    from keras import ops

    from tf2rec.migrated import TwoTowerRecommender
    from tf2rec.migrated.export import export_saved_model

    model = TwoTowerRecommender(10, 30, 4, 8, history_length=3)
    model.build()
    export_saved_model(model, tmp_path / "saved", k=5)
    user = np.array([1, 2], np.int32)
    history = np.array([[4, 5, 0], [6, 0, 0]], np.int32)
    item = np.array([7, 8], np.int32)
    want_items, want_scores = model.recommend(user, history, k=5)
    want_score = model.score(user, history, item)

    result = run_python(
        f"""
        import json, sys
        for name in ("keras", "migrated", "interactions", "tools", "legacy"):
            sys.modules[name] = None  # any import of these now fails
        import tensorflow as tf
        loaded = tf.saved_model.load({str(tmp_path / "saved")!r})
        rec = loaded.signatures["recommend"](user=tf.constant([1, 2]),
                                             history=tf.constant([[4, 5, 0], [6, 0, 0]]))
        sc = loaded.signatures["score"](user=tf.constant([1, 2]),
                                        history=tf.constant([[4, 5, 0], [6, 0, 0]]),
                                        item=tf.constant([7, 8]))
        print(json.dumps({{"signatures": sorted(loaded.signatures),
                          "items": rec["items"].numpy().tolist(),
                          "scores": rec["scores"].numpy().tolist(),
                          "score": sc["score"].numpy().tolist()}}))
    """,
        cwd=tmp_path,
    )
    assert {"score", "recommend"} <= set(result["signatures"])
    assert result["items"] == ops.convert_to_numpy(want_items).tolist()
    np.testing.assert_allclose(result["scores"], ops.convert_to_numpy(want_scores), rtol=1e-6)
    np.testing.assert_allclose(result["score"], ops.convert_to_numpy(want_score), rtol=1e-6)
