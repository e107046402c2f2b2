"""Two workers of a localhost cluster train as one process does.

Two workers with global batch B each compute the gradient of their half and all-reduce the
sum: the same sum as one process with batch B, added in another order. So the check is the
one the parity rules give training steps: after N steps, the two workers' weights are no
further from one process's than one process's are from themselves when only the order of
additions changes, i.e. the same process with each batch's rows reversed (the mean loss is
the same number, summed the other way round) or under another kernel configuration: the
oldest CPU generation with oneDNN off and one thread, and this CPU's own kernels with
oneDNN on and two threads (whichever configuration the suite itself runs under, one of the
two differs from it). A test that the weights moved by far more than that keeps the
comparison from passing vacuously.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tf2rec.tools.parity.kernels import configured_environment

STEPS = 5
OPTIMIZERS = ("sgd", "adagrad", "adam")
SCRIPT = (
    textwrap.dedent(
        """
    import sys
    import keras
    import numpy as np
    from tf2rec.interactions import BatchSampler, ModelSpec, leave_last_out, synthetic
    from tf2rec.migrated.datasets import batch_signature
    from tf2rec.migrated.distributed import is_chief, make_strategy, train_steps, worker_batches
    from tf2rec.migrated.train import compiled_model

    strategy_name, order, out = sys.argv[1:4]
    split = leave_last_out(synthetic(300, 200, 6_000, seed=1))
    sampler = BatchSampler(
        split.train, split.n_items, batch_size=64, negatives=3, history_length=4, seed=0
    )
    batches = list(sampler.take(STEPS))
    if order == "reversed":
        batches = [{name: rows[::-1].copy() for name, rows in b.items()} for b in batches]
    spec = ModelSpec(split.n_users, split.n_items, 8, 8, 4, 3)
    strategy = make_strategy(strategy_name)
    weights, losses = {}, {}
    for optimizer in OPTIMIZERS:
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = compiled_model(spec, optimizer, 0.1, jit_compile=False)  # bitwise
            model.optimizer.build(model.trainable_variables)
        for w in model.trainable_weights:
            weights[f"init/{w.path}"] = w.numpy()
        data = worker_batches(strategy, lambda: batches, batch_signature(4, 3))
        losses[optimizer] = train_steps(model, strategy, data, STEPS)
        for w in model.trainable_weights:
            weights[f"{optimizer}/{w.path}"] = w.numpy()
    if is_chief():
        np.savez(out, **weights)
        print(strategy.num_replicas_in_sync, losses)
    """
    )
    .replace("STEPS", str(STEPS))
    .replace("OPTIMIZERS", repr(OPTIMIZERS))
)


def train(tmp_path, name: str, strategy: str, order: str = "as-is", env=None, workers=0):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / f"{name}.npz"
    command = [sys.executable, str(script), strategy, order, str(out)]
    if workers:
        command = [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local"]
        command += ["--workers", str(workers), "--", sys.executable, str(script), strategy]
        command += [order, str(out)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**(env or os.environ), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(out)), done.stdout


def own_kernels_environment() -> dict[str, str]:
    """This CPU's own kernels, oneDNN on, two threads: none of the caps the suite may run
    under."""
    capped = ("OPENBLAS_CORETYPE", "ONEDNN_MAX_CPU_ISA", "XLA_FLAGS")
    env = {name: value for name, value in os.environ.items() if name not in capped}
    threads = {"TF_NUM_INTRAOP_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    return {**env, **threads, "TF_ENABLE_ONEDNN_OPTS": "1"}


@pytest.mark.slow
def test_two_workers_end_where_one_process_ends(tmp_path):
    one, _ = train(tmp_path, "one", "one")
    others = [
        train(tmp_path, "reversed", "one", "reversed")[0],
        train(tmp_path, "oldest", "one", env=configured_environment("sse4.2", "0", 1))[0],
        train(tmp_path, "own", "one", env=own_kernels_environment())[0],
    ]
    two, printed = train(tmp_path, "two", "multi-worker", workers=2)
    assert printed.startswith("2 ")  # two replicas, one per worker

    for optimizer in OPTIMIZERS:
        names = [n for n in one if n.startswith(optimizer + "/")]
        assert len(names) == 6
        for name in names:
            distance = np.abs(two[name] - one[name]).max()
            envelope = max(np.abs(other[name] - one[name]).max() for other in others)
            assert distance <= envelope, (name, distance, envelope)
            moved = np.abs(one[name] - one["init/" + name.split("/", 1)[1]]).max()
            assert moved > 1000 * envelope, (name, moved, envelope)


@pytest.mark.slow
def test_a_batch_that_does_not_split_over_the_workers_is_one_clear_error(tmp_path):
    script = tmp_path / "odd.py"
    script.write_text(
        textwrap.dedent(
            """
            import tensorflow as tf
            from tf2rec.migrated.distributed import make_strategy, worker_batches
            strategy = make_strategy("multi-worker")
            spec = {"x": tf.TensorSpec([None], tf.int32)}
            data = worker_batches(strategy, lambda: [{"x": list(range(5))}], spec)
            next(iter(data))
            """
        )
    )
    command = [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local", "--workers", "2"]
    done = subprocess.run(
        [*command, "--", sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode != 0
    assert "a batch of 5 rows does not split evenly over 2 workers" in done.stderr


def test_multi_worker_without_a_cluster_says_how_to_start_one(monkeypatch):
    from tf2rec.migrated.distributed import ClusterError, make_strategy

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ClusterError, match="tf2rec cluster local --workers 2 -- <this command>"):
        make_strategy("multi-worker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ClusterError, match="TF_CONFIG is not JSON"):
        make_strategy("multi-worker")


def test_the_chief_is_worker_zero_or_the_only_process(monkeypatch):
    from tf2rec.migrated.distributed import is_chief

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert is_chief()
    for kind, index, chief in (("worker", 0, True), ("worker", 1, False), ("chief", 0, True)):
        config = {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": kind, "index": index}}
        monkeypatch.setenv("TF_CONFIG", json.dumps(config))
        assert is_chief() is chief


TRAIN = [
    "train",
    "--strategy",
    "multi-worker",
    "--epochs",
    "4",
    "--patience",
    "10",
    "--batch-size",
    "128",
    "--synthetic-users",
    "400",
    "--synthetic-items",
    "300",
    "--synthetic-interactions",
    "12000",
    "--quiet",
]


def cluster_train(model_dir, workers: int = 2) -> subprocess.Popen:
    command = [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local", "--workers"]
    command += [str(workers), "--", sys.executable, "-m", "tf2rec.tools.cli", *TRAIN]
    return subprocess.Popen(
        [*command, "--model-dir", str(model_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


def final_weights(model_dir) -> list[np.ndarray]:
    import keras

    import tf2rec.migrated  # noqa: F401  registers tf2rec's Keras classes

    return [w.numpy() for w in keras.saving.load_model(model_dir / "model.keras").weights]


def children(pid: int) -> list[int]:
    text = open(f"/proc/{pid}/task/{pid}/children").read()  # noqa: SIM115
    return [int(child) for child in text.split()]


@pytest.mark.slow
def test_a_killed_worker_restarted_ends_as_the_uninterrupted_cluster(tmp_path):
    whole = cluster_train(tmp_path / "whole")
    out, err = whole.communicate(timeout=600)
    assert whole.returncode == 0, err[-3000:]
    assert "model written to" in out and out.count("two-tower (Keras 3)") == 1  # the chief's
    config = json.loads((tmp_path / "whole" / "config.json").read_text())
    assert (config["strategy"], config["epochs_run"]) == ("multi-worker", 4)
    assert not (tmp_path / "whole" / "backup").exists()

    killed = cluster_train(tmp_path / "killed")
    checkpoint = tmp_path / ".killed.tf2rec-partial" / "backup" / "checkpoints"
    deadline = time.monotonic() + 300
    while not (checkpoint / "ckpt-2.index").exists():  # two epochs done
        assert killed.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    guard = children(killed.pid)[1]  # each task runs under a guard process (tools/cluster.py)
    os.kill(children(guard)[0], signal.SIGKILL)  # worker 1, in its third epoch
    _, err = killed.communicate(timeout=120)
    assert killed.returncode == 128 + signal.SIGKILL
    assert not (tmp_path / "killed").exists()

    again = cluster_train(tmp_path / "killed")  # the same command again
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    assert "resuming the interrupted run" in out
    for a, b in zip(
        final_weights(tmp_path / "whole"), final_weights(tmp_path / "killed"), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_train_multi_worker_without_a_cluster_is_one_line_and_touches_nothing(
    tmp_path, capsys, monkeypatch
):
    from tests.cli import exit_code

    monkeypatch.delenv("TF_CONFIG", raising=False)
    argv = ["train", "--strategy", "multi-worker", "--model-dir", str(tmp_path / "m")]
    data = ["--synthetic-users", "50", "--synthetic-items", "40", "--synthetic-interactions", "500"]
    assert exit_code([*argv, *data]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tf2rec train: error: --strategy multi-worker needs TF_CONFIG")
    assert len(err.splitlines()) == 1 and list(tmp_path.iterdir()) == []
