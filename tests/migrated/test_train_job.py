"""The main job: `tf2rec train` / `tf2rec recommend`, resuming, and bad input."""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.cli import exit_code, result_rows, run_tf2rec


@pytest.mark.slow  # the README's figures: minutes of training on the default data
def test_train_on_default_data_beats_popularity_and_writes_the_model_dir(tmp_path):
    model_dir = tmp_path / "model"
    out = run_tf2rec("train", "--model-dir", str(model_dir), "--epochs", "5", "--quiet")
    assert out.returncode == 0, out.stderr[-3000:]
    rows = result_rows(out.stdout, "two-tower", "popularity")
    assert float(rows["two-tower"][3]) > 1.5 * float(rows["popularity"][1]), out.stdout
    names = {p.name for p in model_dir.iterdir()}
    assert {
        "model.keras",
        "saved_model",
        "vocab.json",
        "config.json",
        "user_items.npz",
        "logs",
    } <= names
    assert "backup" not in names  # removed once a run finishes
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["n_items"] == 2001 and config["loss"] == "ns"

    recommend = run_tf2rec(
        "recommend", "--model-dir", str(model_dir), "--user", "17", "--k", "5", timeout=300
    )
    assert recommend.returncode == 0, recommend.stderr
    rows = [line.split("\t") for line in recommend.stdout.splitlines()]
    items, scores = [int(item) for item, _ in rows], [float(score) for _, score in rows]
    assert len(items) == 5 and len(set(items)) == 5 and all(1 <= i <= 2000 for i in items)
    assert scores == sorted(scores, reverse=True)  # best first
    as_json = run_tf2rec(
        "recommend", "--model-dir", str(model_dir), "--user", "17", "--k", "5", "--json",
        timeout=300,
    )  # fmt: skip
    shown = json.loads(as_json.stdout)
    assert shown["user"] == 17 and shown["note"] is None
    assert [r["item"] for r in shown["items"]] == items
    assert [r["score"] for r in shown["items"]] == pytest.approx(scores, rel=1e-5)  # %.6g

    unknown = run_tf2rec(
        "recommend", "--model-dir", str(model_dir), "--user", "999999", "--k", "3", timeout=300
    )
    assert unknown.returncode == 0
    assert "note: user 999999 is not in the training data; showing the 3 most popular" in (
        unknown.stderr
    )
    assert len(unknown.stdout.splitlines()) == 3


RUN = """
    import json, os, sys
    import keras
    from tf2rec.interactions import leave_last_out, synthetic
    from tf2rec.migrated.train import train

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == int(os.environ.get("CRASH_AT_EPOCH", -1)):
                os._exit(17)  # as if the machine went away

    split = leave_last_out(synthetic(300, 200, 9_000, seed=3))
    result = train(split, sys.argv[1], epochs=int(os.environ.get("EPOCHS", 4)), batch_size=256,
                   negatives=4, history_length=5, embedding_dim=8, hidden_units=8,
                   patience=int(os.environ.get("PATIENCE", 10)),
                   lr=float(os.environ.get("LR", 0.01)), verbose=0, callbacks=[Crash()])
    print(json.dumps({"loss": result["history"]["loss"], "test": result["test"],
                      "resumed_from": result["resumed_from_epoch"]}))
"""


def run_job(model_dir, crash_at=None, **settings):
    import os

    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **{k.upper(): str(v) for k, v in settings.items()},
    }
    if crash_at is not None:
        env["CRASH_AT_EPOCH"] = str(crash_at)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RUN), str(model_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_killed_run_resumes_where_it_stopped(tmp_path):
    whole = run_job(tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-2000:]
    uninterrupted = json.loads(whole.stdout.splitlines()[-1])

    crashed = run_job(tmp_path / "resumed", crash_at=1)
    assert crashed.returncode == 17
    assert (tmp_path / "resumed" / "backup").is_dir()
    again = run_job(tmp_path / "resumed")
    assert again.returncode == 0, again.stderr[-2000:]
    resumed = json.loads(again.stdout.splitlines()[-1])
    assert resumed["resumed_from"] == 2
    # epochs 3 and 4 see the same weights, optimizer state and batches as without the crash
    assert resumed["loss"] == uninterrupted["loss"][2:]
    assert not (tmp_path / "resumed" / "backup").exists()


def test_a_damaged_backup_is_set_aside_in_one_line_and_the_run_resumes_from_the_state_before(
    tmp_path,
):
    whole = run_job(tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-2000:]
    uninterrupted = json.loads(whole.stdout.splitlines()[-1])

    assert run_job(tmp_path / "resumed", crash_at=1).returncode == 17
    backup = tmp_path / "resumed" / "backup"
    index = json.loads((backup / "training_metadata.json").read_text())
    assert [state["epoch"] for state in index["states"]] == [2, 1]
    newest = backup / index["states"][0]["weights"]
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # a damaged disk
    again = run_job(tmp_path / "resumed")
    assert again.returncode == 0, again.stderr[-2000:]
    assert (
        f"tf2rec: {newest}: damaged backup (its checksum differs from the one written with "
        f"it); set aside as {newest.name}.damaged, resuming from epoch 1\n"
    ) in again.stderr
    resumed = json.loads(again.stdout.splitlines()[-1])
    assert resumed["resumed_from"] == 1
    # epoch 1's state is whole: the run goes on exactly as the uninterrupted one
    assert resumed["loss"] == uninterrupted["loss"][1:]


@pytest.mark.slow
def test_a_truncated_backup_of_keras_own_layout_starts_the_run_over_in_one_line(tmp_path):
    assert run_job(tmp_path / "resumed", crash_at=0).returncode == 17
    backup = tmp_path / "resumed" / "backup"
    index = json.loads((backup / "training_metadata.json").read_text())
    # what Keras' BackupAndRestore left when a kill fell inside its write
    kept = (backup / index["states"][0]["weights"]).read_bytes()
    for path in backup.glob("*.weights.h5"):
        path.unlink()
    (backup / "latest.weights.h5").write_bytes(kept[: len(kept) // 3])
    (backup / "training_metadata.json").write_text('{"epoch": 1, "batch": 0}')
    again = run_job(tmp_path / "resumed", epochs=2)
    assert again.returncode == 0, again.stderr[-2000:]
    line = next(x for x in again.stderr.splitlines() if "damaged backup" in x)
    assert line.startswith(f"tf2rec: {backup / 'latest.weights.h5'}: damaged backup (")
    assert line.endswith("set aside as latest.weights.h5.damaged, starting the run over")
    assert json.loads(again.stdout.splitlines()[-1])["resumed_from"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", [0, 1])
def test_a_run_killed_after_its_best_epoch_stops_and_restores_as_without_the_kill(
    tmp_path, crash_at
):
    # at this learning rate validation Recall@10 peaks at epoch 0; with patience 2 the run
    # stops after epoch 2 and restores epoch 0's weights. Killed at epoch 0 or 1 and
    # resumed, early stopping must remember that (Keras' own would start counting afresh).
    settings = {"epochs": 8, "patience": 2, "lr": 0.2}
    whole = run_job(tmp_path / "whole", **settings)
    assert whole.returncode == 0, whole.stderr[-2000:]
    uninterrupted = json.loads(whole.stdout.splitlines()[-1])
    assert len(uninterrupted["loss"]) == 3  # stopped early

    assert run_job(tmp_path / "resumed", crash_at=crash_at, **settings).returncode == 17
    again = run_job(tmp_path / "resumed", **settings)
    assert again.returncode == 0, again.stderr[-2000:]
    resumed = json.loads(again.stdout.splitlines()[-1])
    assert resumed["loss"] == uninterrupted["loss"][crash_at + 1 :]
    assert resumed["test"] == uninterrupted["test"]  # the same best weights restored


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model-dir", "{tmp}/m", "--data", "{tmp}/none.csv"], "none.csv: no such file"),
        (["train", "--model-dir", "{tmp}/m", "--loss", "bpr"], "invalid choice: 'bpr'"),
        (
            ["train", "--model-dir", "{tmp}/m", "--strategy", "multi-worker", "--jit-compile"],
            "--jit-compile runs with --strategy one or mirrored, not multi-worker",
        ),
        (
            ["train", "--model-dir", "{tmp}/m", "--strategy", "parameter-server", "--jit-compile"],
            "--jit-compile runs with --strategy one or mirrored, not parameter-server (XLA "
            "cannot compile its step); drop it: this strategy trains on the bitwise path",
        ),
        (
            ["train", "--model-dir", "{tmp}/m", "--bitwise", "--jit-compile"],
            "argument --jit-compile: not allowed with argument --bitwise",
        ),
        (
            ["recommend", "--model-dir", "{tmp}/nothing", "--user", "1"],
            "nothing: no such model directory; train one with `tf2rec train",
        ),
        (["recommend", "--model-dir", "{tmp}", "--user", "1"], "model.keras: missing"),
        (
            ["recommend", "--model-dir", "{tmp}/m", "--user", str(2**70)],
            "argument --user: ids fit in 64 bits; 1180591620717411303424 does not",
        ),
        (
            ["recommend", "--model-dir", "{tmp}/m", "--user", "x"],
            "argument --user: 'x' is not an integer id",
        ),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_corrupt_model_file(tmp_path, capsys):
    from tf2rec.interactions import Vocab, save_vocabs

    save_vocabs(tmp_path, Vocab([1, 2]), Vocab([3, 4]))
    (tmp_path / "model.keras").write_bytes(b"\x00not a zip")
    assert exit_code(["recommend", "--model-dir", str(tmp_path), "--user", "1"]) == 2
    assert "model.keras: not a .keras archive (corrupt or truncated)" in capsys.readouterr().err


def test_every_option_reaches_the_trainer(tmp_path, monkeypatch):
    import tf2rec.migrated.train

    seen = {}

    def fake_train(split, model_dir, **kwargs):
        seen.update(kwargs)
        return {"test": {}, "popularity": {}, "seconds": 0.0}

    monkeypatch.setattr(tf2rec.migrated.train, "train", fake_train)
    monkeypatch.setattr("tf2rec.tools.cli.train.results_table", lambda rows: "")
    options = (
        "--synthetic-users 50 --synthetic-items 40 --synthetic-interactions 500 --steps 7 "
        "--batch-size 32 --negatives 3 --history-length 4 --optimizer sgd --lr 0.2 "
        "--embedding-dim 8 --hidden-units 9 --sampler unigram --loss sampled_softmax --seed 5 "
        "--patience 2 --strategy mirrored --jit-compile --quiet"
    )
    argv = ["train", "--model-dir", str(tmp_path / "m"), *options.split()]
    assert exit_code(argv) == 0
    assert seen == {
        "epochs": 10,
        "steps": 7,
        "batch_size": 32,
        "negatives": 3,
        "history_length": 4,
        "optimizer": "sgd",
        "lr": 0.2,
        "embedding_dim": 8,
        "hidden_units": 9,
        "sampler": "unigram",
        "seed": 5,
        "loss": "sampled_softmax",
        "patience": 2,
        "strategy": "mirrored",
        "bitwise": False,  # --jit-compile: the fast path, by name
        "verbose": 0,
    }


def test_a_model_that_does_not_match_its_vocabulary_is_refused_before_it_is_built(tmp_path, capsys):
    import zipfile

    from tf2rec.interactions import Vocab, save_vocabs
    from tf2rec.migrated.train import model_from_hparams

    hparams = {"n_users": 6, "n_items": 8, "embedding_dim": 4, "hidden_units": 4}
    model_from_hparams({**hparams, "history_length": 3, "optimizer": "sgd", "lr": 0.1}).save(
        tmp_path / "model.keras"
    )
    save_vocabs(tmp_path, Vocab(range(5)), Vocab(range(4)))  # 8 items in the model, 5 here
    assert exit_code(["recommend", "--model-dir", str(tmp_path), "--user", "1"]) == 2
    err = capsys.readouterr().err
    assert "the model's n_items is 8, its vocabulary beside it has 5" in err

    # a crafted config asking for a table of 10**12 rows is read, not built
    save_vocabs(tmp_path, Vocab(range(5)), Vocab(range(7)))
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["config.json"] = files["config.json"].replace(
        b'"n_items": 8', b'"n_items": 1000000000000'
    )
    with zipfile.ZipFile(tmp_path / "model.keras", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    assert exit_code(["recommend", "--model-dir", str(tmp_path), "--user", "1"]) == 2
    assert "n_items is 1000000000000, its vocabulary beside it has 8" in capsys.readouterr().err


def test_jit_compile_trains_in_one_xla_computation_and_records_it(tmp_path):
    """Adagrad: the optimizer whose TensorFlow kernel cannot run inside XLA."""
    model_dir = tmp_path / "m"
    argv = ["train", "--model-dir", str(model_dir), "--synthetic-users", "300"]
    argv += ["--synthetic-items", "200", "--synthetic-interactions", "6000", "--epochs", "2"]
    argv += ["--optimizer", "adagrad", "--lr", "0.1", "--batch-size", "128", "--jit-compile"]
    assert exit_code([*argv, "--quiet"]) == 0
    config = json.loads((model_dir / "config.json").read_text())
    assert config["training_path"] == "fast" and config["model"]["n_items"] == 201
    assert 0 <= config["test"]["recall@10"] <= 1  # evaluated under XLA as well
    assert exit_code(["recommend", "--model-dir", str(model_dir), "--user", "3"]) == 0


def test_the_fast_path_is_the_default_and_bitwise_is_asked_for(tmp_path):
    argv = ["train", "--synthetic-users", "300", "--synthetic-items", "200"]
    argv += ["--synthetic-interactions", "6000", "--steps", "3", "--batch-size", "128", "--quiet"]
    assert exit_code([*argv, "--model-dir", str(tmp_path / "fast")]) == 0
    assert exit_code([*argv, "--model-dir", str(tmp_path / "bit"), "--bitwise"]) == 0
    fast = json.loads((tmp_path / "fast" / "config.json").read_text())
    bitwise = json.loads((tmp_path / "bit" / "config.json").read_text())
    assert (fast["training_path"], fast["bitwise"]) == ("fast", False)
    assert (bitwise["training_path"], bitwise["bitwise"]) == ("bitwise", True)
