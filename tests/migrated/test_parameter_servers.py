"""Training on parameter servers: the embedding tables sharded over them, each shard updated
where it lives, and the same weights as one process, bit for bit.

The chief gives each global batch to a free worker and waits for it to be applied, so the
steps apply in order; each step is the model's own `train_step` on the same batch, and a
lookup across two shards gathers the rows one table would: the same computation as one
process, hence equal to the bit (the parity rule for the same kernels).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

OPTIMIZERS = ("sgd", "adagrad", "adam")
SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras
    import numpy as np
    import tensorflow as tf
    from tf2rec.interactions import BatchSampler, ModelSpec, leave_last_out, synthetic
    from tf2rec.migrated import distributed
    from tf2rec.migrated.train import compiled_model

    strategy_name, out = sys.argv[1:3]
    if strategy_name == "parameter-server" and not distributed.is_chief():
        distributed.serve()
    split = leave_last_out(synthetic(300, 200, 6_000, seed=1))
    sampler = BatchSampler(
        split.train, split.n_items, batch_size=64, negatives=3, history_length=4, seed=0
    )
    batches = list(sampler.take(5))
    spec = ModelSpec(split.n_users, split.n_items, 8, 8, 4, 3)
    keras.utils.set_random_seed(0)
    reference = compiled_model(spec, "sgd", 0.1)  # the initial weights, one table each
    initial = {w.path: w.numpy() for w in reference.weights}
    tables = [reference.user_tower.embedding.table, reference.item_tower.table]
    tables = [np.asarray(table) for table in tables]
    if strategy_name == "parameter-server":
        strategy = distributed.make_strategy("parameter-server")
    weights, placement = {}, {}
    for optimizer in OPTIMIZERS:
        if strategy_name == "one":
            keras.utils.set_random_seed(0)
            model = compiled_model(spec, optimizer, 0.1, jit_compile=False)  # bitwise
            step = tf.function(model.train_step)
            for batch in batches:
                step({name: tf.constant(rows) for name, rows in batch.items()})
        else:
            with strategy.scope():
                shards = distributed.parameter_servers()
                model = compiled_model(spec, optimizer, 0.1, shards=shards, jit_compile=False)
                model.optimizer.build(model.trainable_variables)
            for w in model.weights:
                if w.path in initial:
                    w.assign(initial[w.path])
            model.user_tower.embedding.assign_table(tables[0])
            model.item_tower.embedding.assign_table(tables[1])
            distributed.CoordinatedTraining(model, strategy).epoch(batches)
            for table in (model.user_tower.embedding, model.item_tower.embedding):
                for part in table.parts:
                    name = part.path.replace("/", "_")
                    slots = [v for v in model.optimizer.variables if name in v.path]
                    placement[f"{optimizer}/{part.path}"] = [
                        part.value.device, sorted({v.value.device for v in slots}), len(slots)
                    ]
        weights[f"{optimizer}/user_table"] = np.asarray(model.user_tower.embedding.table)
        weights[f"{optimizer}/item_table"] = np.asarray(model.item_tower.table)
        for w in model.weights:
            if "/embeddings" not in w.path:
                weights[f"{optimizer}/{w.path}"] = w.numpy()
    np.savez(out, **weights)
    print(json.dumps(placement))
    """
).replace("OPTIMIZERS", repr(OPTIMIZERS))


def train(tmp_path, strategy: str) -> tuple[dict, dict]:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / f"{strategy}.npz"
    command = [sys.executable, str(script), strategy, str(out)]
    if strategy == "parameter-server":
        launcher = [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local"]
        command = [*launcher, "--workers", "2", "--ps", "2", "--", *command]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(out)), json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_shards_on_two_parameter_servers_train_as_one_process(tmp_path):
    one, _ = train(tmp_path, "one")
    sharded, placement = train(tmp_path, "parameter-server")
    assert sorted(one) == sorted(sharded)
    for name in one:
        np.testing.assert_array_equal(sharded[name], one[name], err_msg=name)
    for optimizer in OPTIMIZERS:
        parts = {k: v for k, v in placement.items() if k.startswith(optimizer + "/")}
        assert len(parts) == 4  # two tables, two shards each
        for shard_device, slot_devices, slots in parts.values():
            # the optimizer's slots of a shard sit on that shard's parameter server
            assert slot_devices == ([shard_device] if slots else [])
            assert slots == {"sgd": 0, "adagrad": 1, "adam": 2}[optimizer]
        tasks = {device.split("/device")[0] for device, _, _ in parts.values()}
        assert tasks == {"/job:ps/replica:0/task:0", "/job:ps/replica:0/task:1"}


def test_parameter_server_strategy_without_its_cluster_says_how_to_start_one(monkeypatch):
    from tf2rec.migrated.distributed import ClusterError, make_strategy

    cluster = {"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster))
    with pytest.raises(ClusterError, match="cluster local --workers 2 --ps 2 -- <this command>"):
        make_strategy("parameter-server")


def test_a_table_in_shards_looks_up_and_assigns_as_one_table():
    import keras

    from tf2rec.migrated.layers import EmbeddingTable

    keras.utils.set_random_seed(3)
    whole, sharded = EmbeddingTable(7, 3), EmbeddingTable(7, 3, shards=3)
    whole.build(), sharded.build()
    assert [tuple(p.shape) for p in sharded.parts] == [(3, 3), (2, 3), (2, 3)]
    sharded.assign_table(np.asarray(whole.table))
    ids = np.array([[6, 0, 3], [2, 2, 5]])
    np.testing.assert_array_equal(np.asarray(sharded(ids)), np.asarray(whole(ids)))
    np.testing.assert_array_equal(np.asarray(sharded.table), np.asarray(whole.table))


@pytest.mark.slow
def test_train_on_a_localhost_parameter_server_cluster_writes_a_servable_model(tmp_path):
    command = [sys.executable, "-m", "tf2rec.tools.cli"]
    train = [*command, "train", "--strategy", "parameter-server", "--epochs", "2"]
    train += ["--batch-size", "128", "--synthetic-users", "300", "--synthetic-items", "200"]
    train += ["--synthetic-interactions", "8000", "--quiet", "--model-dir", str(tmp_path / "m")]
    done = subprocess.run(
        [*command, "cluster", "local", "--workers", "2", "--ps", "2", "--", *train],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("model written to") == 1  # the chief's
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert (config["strategy"], config["model"]["shards"]) == ("parameter-server", 2)
    recommended = subprocess.run(
        [*command, "recommend", "--model-dir", str(tmp_path / "m"), "--user", "3", "--k", "5"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert recommended.returncode == 0, recommended.stderr[-3000:]
    rows = [line.split("\t") for line in recommended.stdout.splitlines()]
    assert [len(row) for row in rows] == [2] * 5  # item, score
    scores = [float(score) for _, score in rows]
    assert scores == sorted(scores, reverse=True) and len({item for item, _ in rows}) == 5
