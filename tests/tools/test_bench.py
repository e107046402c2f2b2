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
            "bitwise": {"step_s": [0.008, 0.009, 0.007], "peak_mb": 650.0},
            "fast": {"step_s": [0.005, 0.006], "peak_mb": 660.0},
        },
        {  # a slow spell of the machine: every side slower, the ratios barely move
            "legacy": {"step_s": [0.020, 0.022], "peak_mb": 610.0},
            "bitwise": {"step_s": [0.016, 0.015], "peak_mb": 640.0},
            "fast": {"step_s": [0.014], "peak_mb": 655.0},
        },
        {
            "legacy": {"step_s": [0.012], "peak_mb": 590.0},
            "bitwise": {"step_s": [0.010], "peak_mb": 700.2},
            "fast": {"step_s": [0.006], "peak_mb": 640.0},
        },
    ]
    row = train.summarize(10_000, "adam", rounds)
    # per-round medians: legacy 11, 21, 12 ms; bitwise 8, 15.5, 10 ms; fast 5.5, 14, 6 ms
    assert row["legacy"] == {
        "examples_per_s": round(1024 / 0.012),
        "ms_per_step": 12.0,
        "peak_mb": 610,
    }
    ratios = sorted([11 / 8, 21 / 15.5, 12 / 10])
    assert row["bitwise"] == {
        "examples_per_s": 102_400,
        "ms_per_step": 10.0,
        "peak_mb": 700,
        "ratio": round(statistics.median(ratios), 2),
        "worst": 1.2,
    }
    assert row["bitwise"]["ratio"] == 1.35
    # fast: 11/5.5 = 2, 21/14 = 1.5, 12/6 = 2: median 2, worst 1.5 (the slow round)
    assert (row["fast"]["ratio"], row["fast"]["worst"], row["fast"]["ms_per_step"]) == (2, 1.5, 6)
    assert (row["vocab"], row["optimizer"], row["rounds"]) == (10_000, "adam", 3)


def _row(vocab, optimizer, ms, peaks, ratios):
    row = {"vocab": vocab, "optimizer": optimizer, "rounds": 3}
    for side, step, peak in zip(train.SIDES, ms, peaks, strict=True):
        row[side] = {"examples_per_s": round(1024 / step * 1000), "ms_per_step": step}
        row[side]["peak_mb"] = peak
    for side, (ratio, worst) in zip(train.SIDES[1:], ratios, strict=True):
        row[side].update(ratio=ratio, worst=worst)
    return row


def test_the_plot_has_its_markdown_table_beside_it(tmp_path):
    pytest.importorskip("matplotlib")
    adam_ratios = ((3.16, 3.05), (3.29, 3.05))
    rows = [
        _row(10_000, "sgd", (6.9, 5.5, 3.5), (618, 693, 749), ((1.26, 1.18), (2.19, 2.05))),
        _row(1_000_000, "adam", (255.0, 80.7, 82.9), (3904, 2494, 2584), adam_ratios),
    ]
    train.plot(rows, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "bench.md").read_text() == (
        "| users = items | optimizer | ms/step legacy / bitwise / fast | bitwise ratio (worst) "
        "| fast ratio (worst) | peak MB legacy / bitwise / fast |\n"
        "| ---: | --- | --- | --- | --- | --- |\n"
        "| 10,000 | sgd | 6.9 / 5.5 / 3.5 | 1.26x (1.18x) | 2.19x (2.05x) | 618 / 693 / 749 |\n"
        "| 1,000,000 | adam | 255.0 / 80.7 / 82.9 | 3.16x (3.05x) | 3.29x (3.05x) "
        "| 3,904 / 2,494 / 2,584 |\n"
    )


def test_the_quality_table_gives_each_paths_spread_over_the_seeds():
    from tf2rec.tools.bench import quality

    values = {
        "legacy": [{"recall@10": 0.21, "ndcg@10": 0.12}, {"recall@10": 0.23, "ndcg@10": 0.13}],
        "bitwise": [{"recall@10": 0.22, "ndcg@10": 0.125}, {"recall@10": 0.2, "ndcg@10": 0.11}],
        "fast": [{"recall@10": 0.215, "ndcg@10": 0.12}, {"recall@10": 0.225, "ndcg@10": 0.14}],
    }
    summary = quality.summarize([0, 1], values)
    assert summary["bitwise"]["recall@10"] == {"values": [0.22, 0.2], "min": 0.2, "max": 0.22}
    assert quality.markdown(summary) == (
        "| trained by | seeds | recall@10 min-max | ndcg@10 min-max |\n"
        "| --- | ---: | --- | --- |\n"
        "| legacy | 2 | 0.2100-0.2300 | 0.1200-0.1300 |\n"
        "| bitwise | 2 | 0.2000-0.2200 | 0.1100-0.1250 |\n"
        "| fast | 2 | 0.2150-0.2250 | 0.1200-0.1400 |\n"
    )


def test_bench_quality_writes_its_table_to_out_once_the_runs_are_done(
    tmp_path, monkeypatch, capsys
):
    from tf2rec.tools.bench import quality
    from tf2rec.tools.cli import main

    runs = []

    def fake_worker(side, seed, epochs):
        assert not (tmp_path / "q.md").exists()  # nothing is written before the last run
        runs.append((side, seed, epochs))
        return {"recall@10": 0.2 + seed / 100, "ndcg@10": 0.1}

    monkeypatch.setattr(quality, "_run_worker", fake_worker)
    out = tmp_path / "q.md"
    argv = ["bench", "quality", "--seeds", "0", "1", "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    assert runs == [(s, seed, 2) for seed in (0, 1) for s in quality.SIDES]
    table = out.read_text()
    assert table.splitlines()[2] == "| legacy | 2 | 0.2000-0.2100 | 0.1000-0.1000 |"
    assert capsys.readouterr().out == table


@pytest.mark.parametrize("bad", ["folder", "--epochs 0", "--seeds -1"])
def test_bench_quality_refuses_bad_options_before_any_run(tmp_path, monkeypatch, capsys, bad):
    from tf2rec.tools.bench import quality

    monkeypatch.setattr(quality, "_run_worker", lambda *args: pytest.fail("a run started"))
    (tmp_path / "folder").mkdir()
    argv = ["bench", "quality", "--out", str(tmp_path / "folder")]
    if bad != "folder":
        argv = ["bench", "quality", *bad.split()]
    assert exit_code(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert (
        last
        == {
            "folder": f"tf2rec bench: error: cannot write --out {tmp_path / 'folder'}: it is a "
            "directory; choose another file",
            "--epochs 0": "tf2rec bench quality: error: argument --epochs: must be at least 1, "
            "got 0",
            "--seeds -1": "tf2rec bench quality: error: argument --seeds: seeds run from 0 to "
            "4,294,967,295; got -1",
        }[bad]
    )


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
    for side in ("legacy", "bitwise", "fast"):
        assert row[side]["examples_per_s"] > 0 and row[side]["peak_mb"] > 0
        # ms/step is rounded to 0.01 ms: both figures describe the same step time
        expected = 1024 / (row[side]["ms_per_step"] / 1000)
        assert row[side]["examples_per_s"] == pytest.approx(expected, rel=0.01)
    for side in ("bitwise", "fast"):
        assert 0 < row[side]["worst"] <= row[side]["ratio"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.with_suffix(".md").read_text().count("\n") == 3


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
