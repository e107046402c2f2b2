"""The training benchmark: its summary arithmetic, its batches, and one tiny real run."""

import json
import statistics

import numpy as np
import pytest

from tests.cli import exit_code
from tf2rec.tools.bench import train


def test_summary_takes_medians_over_rounds_and_the_ratio_per_round():
    rounds = [
        {
            "legacy": {"step_s": [0.010, 0.012, 0.011], "peak_mb": 600.4},
            "migrated": {"step_s": [0.008, 0.009, 0.007], "peak_mb": 650.0},
        },
        {  # a slow spell of the machine: both sides slower, the ratio barely moves
            "legacy": {"step_s": [0.020, 0.022], "peak_mb": 610.0},
            "migrated": {"step_s": [0.016, 0.015], "peak_mb": 640.0},
        },
        {
            "legacy": {"step_s": [0.012], "peak_mb": 590.0},
            "migrated": {"step_s": [0.010], "peak_mb": 700.2},
        },
    ]
    row = train.summarize(10_000, "adam", rounds)
    # per-round medians: legacy 11, 21, 12 ms; migrated 8, 15.5, 10 ms
    assert row["legacy"] == {
        "examples_per_s": round(1024 / 0.012),
        "ms_per_step": 12.0,
        "peak_mb": 610,
    }
    assert row["migrated"] == {"examples_per_s": 102_400, "ms_per_step": 10.0, "peak_mb": 700}
    ratios = sorted([11 / 8, 21 / 15.5, 12 / 10])
    assert row["ratio"] == round(statistics.median(ratios), 2) == 1.35
    assert row["ratio_range"] == [1.2, 1.38]
    assert (row["vocab"], row["optimizer"], row["rounds"]) == (10_000, "adam", 3)


def test_batches_are_reproducible_zipf_ids_inside_the_vocabulary():
    a, b = train.make_batches(500, steps=4, seed=3), train.make_batches(500, steps=4, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert a["user"].shape == (4, train.BATCH)
    assert a["history"].shape == (4, train.BATCH, train.HISTORY)
    assert a["neg"].shape == (4, train.BATCH, train.NEGATIVES)
    for ids in a.values():
        assert ids.min() >= 1 and ids.max() < 500  # 0 is the padding id
    counts = np.bincount(a["pos"].ravel(), minlength=500)
    assert counts[1] == counts.max() and counts[1] > 5 * counts[400:].mean()


def test_a_vocabulary_of_one_id_is_refused(capsys):
    assert exit_code(["bench", "train", "--sizes", "1"]) == 2
    assert "a vocabulary needs at least 2 ids, got 1" in capsys.readouterr().err


def test_a_failing_worker_is_one_error_not_a_traceback(monkeypatch, capsys):
    def fail(*args):
        raise train.WorkerFailed("the legacy model failed at V=50 with sgd (exit 1); ...")

    monkeypatch.setattr(train, "_run_worker", fail)
    assert exit_code(["bench", "train", "--sizes", "50", "--optimizers", "sgd"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bench train: error: the legacy model failed at V=50 with sgd")


@pytest.mark.slow
def test_tiny_benchmark_runs_both_models_and_writes_json_and_plot(tmp_path, capsys):
    plot = tmp_path / "bench.png"
    argv = [
        "bench",
        "train",
        "--sizes",
        "50",
        "--optimizers",
        "sgd",
        "--rounds",
        "2",
        "--warmup",
        "1",
        "--steps",
        "2",
        "--repeats",
        "1",
        "--json",
        "--plot",
        str(plot),
    ]
    assert exit_code(argv) == 0
    captured = capsys.readouterr()
    (row,) = json.loads(captured.out)  # progress goes to stderr, stdout is only the JSON
    assert "V=       50  sgd      legacy" in captured.err
    assert (row["vocab"], row["optimizer"], row["rounds"]) == (50, "sgd", 2)
    for side in ("legacy", "migrated"):
        assert row[side]["examples_per_s"] > 0 and row[side]["peak_mb"] > 0
        # ms/step is rounded to 0.01 ms: both figures describe the same step time
        expected = 1024 / (row[side]["ms_per_step"] / 1000)
        assert row[side]["examples_per_s"] == pytest.approx(expected, rel=0.01)
    low, high = row["ratio_range"]
    assert low <= row["ratio"] <= high
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_multi_worker_benchmark_runs_clusters_of_one_and_two_workers(capsys):
    argv = ["bench", "train", "--strategy", "multi-worker", "--sizes", "50", "--optimizers"]
    argv += ["sgd", "--rounds", "1", "--warmup", "1", "--steps", "2", "--repeats", "1", "--json"]
    assert exit_code(argv) == 0
    out, err = capsys.readouterr()
    (row,) = json.loads(out)
    one, two = row["workers_1"]["examples_per_s"], row["workers_2"]["examples_per_s"]
    assert one > 0 and two > 0
    assert row["efficiency"] == round(two / (2 * one), 2)
    assert "scaling efficiency" in err


def test_the_python2_tree_is_python2_and_its_python3_twin_has_the_same_lines(tmp_path):
    """`bench scan` compares the cost per line of the same files as Python 2 and as
    Python 3: every file of the first is read as Python 2, none of the second."""
    import tf2rec
    from tf2rec.tools.bench.scan import make_tree

    lines2 = make_tree(tmp_path / "two", 10, "2")
    lines3 = make_tree(tmp_path / "three", 10, "2to3")
    assert lines2 == lines3 > 0
    two, three = tf2rec.scan([tmp_path / "two"]), tf2rec.scan([tmp_path / "three"])
    assert two.counts[tf2rec.FileState.PYTHON2] == 10
    assert three.counts[tf2rec.FileState.PYTHON2] == 0 and not three.unreadable
