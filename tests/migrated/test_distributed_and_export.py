"""Behaviour that needs a fresh process: two replicas, and serving without this project."""

import numpy as np
import tensorflow as tf

from tests.processes import last_json, run_program


def run_python(code: str, cwd, env_extra=None) -> dict:
    import os

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env_extra or {})}
    return last_json(run_program(code, cwd, env=env))


# One SGD step under OneDeviceStrategy and under MirroredStrategy on two logical CPUs, and
# what the bound needs: each weight's w0, sum |c_i| and count, from a one-device tape.
ONE_STEP_TWO_WAYS = """
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
        LR = 0.5

        def fresh_model():
            keras.utils.set_random_seed(0)
            model = TwoTowerRecommender(split.n_users, split.n_items, 8, 8, 4)
            model.build()
            return model

        def one_step(strategy):
            with strategy.scope():
                model = fresh_model()
                model.compile(optimizer=keras.optimizers.SGD(LR), loss=NegativeSamplingLoss())
            data = tf.data.Dataset.from_tensors(batch)
            logs = model.fit(data, epochs=1, verbose=0).history
            return logs["loss"][0], [w.numpy() for w in model.trainable_weights]

        def contributions():
            # (w0, sum |c_i|, count) per weight, float64, from one device's sparse gradient
            # (one row per lookup) or per-example Jacobian (one product per example)
            model = fresh_model()
            x = {k: tf.constant(v) for k, v in batch.items()}
            per_example = NegativeSamplingLoss(reduction=None)
            with tf.GradientTape(persistent=True) as tape:
                losses = per_example(None, model(x, training=True)) / 64.0
                total = tf.reduce_sum(losses)
            out = []
            for var in model.trainable_weights:
                w0 = var.numpy().astype(np.float64)
                grad = tape.gradient(total, var)
                if isinstance(grad, tf.IndexedSlices):
                    abs_sum, count = np.zeros_like(w0), np.zeros(w0.shape[0])
                    np.add.at(abs_sum, grad.indices.numpy(),
                              np.abs(grad.values.numpy().astype(np.float64)))
                    np.add.at(count, grad.indices.numpy(), 1)
                    count = count.reshape((-1,) + (1,) * (w0.ndim - 1))
                else:
                    jac = tape.jacobian(losses, var).numpy().astype(np.float64)
                    abs_sum, count = np.abs(jac).sum(axis=0), np.full(w0.shape, 64.0)
                out.append((w0, abs_sum, count))
            return out, float(np.sum(losses.numpy().astype(np.float64)))

        def gamma(k):
            u = 2.0 ** -24
            return k * u / (1 - k * u)

        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        loss1, w1 = one_step(tf.distribute.OneDeviceStrategy(devices[0]))
        loss2, w2 = one_step(tf.distribute.MirroredStrategy(devices))
        terms, mean_loss = contributions()
        ratios = []
        for a, b, (w0, abs_sum, count) in zip(w1, w2, terms):
            bound = 2 * gamma(count) * (np.abs(w0) + LR * abs_sum)
            diff = np.abs(a.astype(np.float64) - b)
            ratios.append(float(np.max(np.where(diff > 0, diff / np.maximum(bound, 1e-300), 0))))
        moved = min(float(np.abs(a - w0).max()) for a, (w0, _, _) in zip(w1, terms))
        print(json.dumps({"loss1": loss1, "loss2": loss2, "mean_loss": mean_loss,
                          "loss_bound": 2 * gamma(63) * mean_loss, "worst_ratio": max(ratios),
                          "equal": all(np.array_equal(a, b) for a, b in zip(w1, w2)),
                          "moved": moved, "replicas": len(devices)}))
"""


def test_loss_reduces_correctly_under_a_two_replica_strategy(tmp_path):
    """One SGD step on a batch of 64 under OneDeviceStrategy and under a two-replica
    MirroredStrategy (32 examples each) compute the same sums in another order.

    Each side's new weight is `w0 - lr * sum_i c_i`, where the c_i are the per-lookup (for
    embedding rows) or per-example (for dense weights) gradient contributions, already scaled
    by 1/64 (one device) or by 1/32 and Keras' 1/2 per replica: powers of two, so exact. One
    device adds the 64 contributions in its kernels' order; two replicas add 32 each, and the
    all-reduce adds the two partial sums. lr = 0.5 multiplies exactly. Whatever the order,
    summing m terms in float32 is within gamma_{m-1} * sum |terms| of the exact sum
    (gamma_k = k u / (1 - k u), u = 2^-24; Higham, Accuracy and Stability, eq. 4.4), so the
    two sides differ by at most 2 gamma_count (|w0| + lr sum |c_i|) per weight, with count
    the number of contributions (the terms are w0 and the count products). The logged loss is
    the mean of 64 non-negative losses added in another order: within 2 gamma_63 of the mean.
    Premise: a row's forward and backward values do not depend on the batch size (row-wise
    kernels), so the c_i themselves are the same on both sides.
    """
    result = run_python(ONE_STEP_TWO_WAYS, cwd=tmp_path)
    assert result["replicas"] == 2
    assert result["moved"] > 0  # every weight took a step, so the comparison says something
    assert abs(result["loss2"] - result["loss1"]) <= result["loss_bound"], result
    assert abs(result["loss1"] - result["mean_loss"]) <= result["loss_bound"], result
    assert result["worst_ratio"] <= 1.0, result


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
