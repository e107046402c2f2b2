"""Checkpoint conversion: legacy -> migrated -> legacy is exact, and mistakes are named."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from tests.cli import run_tf2rec
from tf2rec.interactions import DataError
from tf2rec.migrated import TwoTowerRecommender
from tf2rec.tools.cli import main
from tf2rec.tools.convert import (
    ConversionError,
    derive_name_map,
    legacy_to_migrated,
    read_checkpoint,
)


@pytest.fixture(scope="module")
def legacy_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legacy")
    out = run_tf2rec(
        "legacy-train", "--model-dir", str(folder / "m"),
        "--synthetic-users", "200", "--synthetic-items", "150",
        "--synthetic-interactions", "6000", "--steps", "40", "--batch-size", "128",
        "--embedding-dim", "8", "--hidden-units", "12", "--history-length", "5",
        "--negatives", "3",
        timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return folder / "m"


def legacy_scores(model_dir) -> dict:
    code = textwrap.dedent(f"""
        import json, numpy as np
        from tf2rec.legacy.train import restore, score_all_items
        sess, model = restore({str(model_dir)!r})
        users = np.arange(1, 50, dtype=np.int32)
        history = (np.arange(5 * 49, dtype=np.int32).reshape(49, 5) % 140) + 1
        scores = score_all_items(sess, model, users, history)
        print(json.dumps({{"scores": scores.view(np.uint32).tolist(),
                          "step": int(sess.run(model.global_step))}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


def test_a_converted_model_serves_recommend(legacy_dir, tmp_path, capsys):
    assert main(["convert", "--legacy-dir", str(legacy_dir), "--out", str(tmp_path / "k")]) == 0
    assert {"model.keras", "vocab.json", "user_items.npz"} <= {
        path.name for path in (tmp_path / "k").iterdir()
    }
    capsys.readouterr()
    assert main(["recommend", "--model-dir", str(tmp_path / "k"), "--user", "3", "--k", "5"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5


def test_convert_then_reverse_round_trips_exactly(legacy_dir, tmp_path, capsys):
    assert (
        main(
            [
                "convert",
                "--legacy-dir",
                str(legacy_dir),
                "--out",
                str(tmp_path / "k"),
                "--print-map",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "two_tower_recommender/item_tower/item_embedding/embeddings  <->  "
        "item_tower/item_embedding" in out
    )
    model = keras.saving.load_model(tmp_path / "k" / "model.keras", safe_mode=True)
    assert int(model.optimizer.iterations.numpy()) == 40  # Adam state came along

    # migrated scores equal the legacy session's, bit for bit
    users = np.arange(1, 50, dtype=np.int32)
    history = (np.arange(5 * 49, dtype=np.int32).reshape(49, 5) % 140) + 1
    vectors = model.user_vectors(users, history).numpy()
    ours = vectors @ model.item_tower.table.numpy().T
    original = legacy_scores(legacy_dir)
    assert ours.view(np.uint32).tolist() == original["scores"]

    # and back: the legacy code restores the written checkpoint to the same state
    assert (
        main(
            [
                "convert",
                "--reverse",
                "--model",
                str(tmp_path / "k" / "model.keras"),
                "--out",
                str(tmp_path / "back"),
            ]
        )
        == 0
    )
    before = read_checkpoint(legacy_dir)
    after = read_checkpoint(tmp_path / "back")
    assert set(after) == set(before)
    for name, value in before.items():
        assert np.array_equal(after[name], value), name
    assert legacy_scores(tmp_path / "back") == original


def small_model():
    model = TwoTowerRecommender(10, 20, 4, 6, 3, name="recommender")
    model.build()
    return model


def checkpoint_for(model):
    return {
        "user_tower/user_embedding": np.zeros((10, 4), np.float32),
        "item_tower/item_embedding": np.zeros((20, 4), np.float32),
        "user_tower/mlp/hidden/kernel": np.zeros((8, 6), np.float32),
        "user_tower/mlp/hidden/bias": np.zeros(6, np.float32),
        "user_tower/mlp/output/kernel": np.zeros((6, 4), np.float32),
        "user_tower/mlp/output/bias": np.zeros(4, np.float32),
    }


def test_shape_mismatch_names_both_sides():
    model = small_model()
    checkpoint = checkpoint_for(model)
    checkpoint["user_tower/mlp/hidden/kernel"] = np.zeros((8, 7), np.float32)
    name_map = derive_name_map(model, checkpoint)
    with pytest.raises(
        ConversionError,
        match=r"shape mismatch: Keras recommender/"
        r"user_tower/mlp/hidden/kernel is \(8, 6\), TF1 user_tower/mlp/hidden/"
        r"kernel is \(8, 7\)",
    ):
        legacy_to_migrated(checkpoint, model, name_map)


def test_unmapped_and_missing_variables_are_errors():
    model = small_model()
    checkpoint = checkpoint_for(model)
    checkpoint["user_tower/extra/kernel"] = np.zeros(3, np.float32)
    with pytest.raises(
        ConversionError,
        match=r"not mapped to any Keras weight: "
        r"user_tower/extra/kernel",
    ):
        legacy_to_migrated(checkpoint, model, derive_name_map(model, checkpoint))
    del checkpoint["user_tower/extra/kernel"]
    renamed = {
        ("tower/item_table" if k == "item_tower/item_embedding" else k): v
        for k, v in checkpoint.items()
    }
    with pytest.raises(ConversionError, match="no TF1 variable for Keras weight"):
        derive_name_map(model, renamed)
    overrides = {"recommender/item_tower/item_embedding/embeddings": "tower/item_table"}
    name_map = derive_name_map(model, renamed, overrides)
    legacy_to_migrated(renamed, model, name_map)
    assert "(from map file)" in name_map.describe()


def test_convert_cli_errors(tmp_path, capsys):
    assert main(["convert", "--legacy-dir", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "not a legacy model directory (no hparams.json)" in capsys.readouterr().err
    (tmp_path / "map.json").write_text("[1, 2]")
    assert (
        main(
            [
                "convert",
                "--legacy-dir",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
                "--map",
                str(tmp_path / "map.json"),
            ]
        )
        == 2
    )
    assert "a map file is a JSON object" in capsys.readouterr().err
    with pytest.raises(DataError, match="no checkpoint in this directory"):
        read_checkpoint(tmp_path)


def test_parity_cli_from_a_legacy_model_dir(legacy_dir, capsys):
    data = [
        "--synthetic-users",
        "200",
        "--synthetic-items",
        "150",
        "--synthetic-interactions",
        "6000",
    ]
    code = main(
        [
            "parity",
            "--legacy-dir",
            str(legacy_dir),
            *data,
            "--steps",
            "10",
            "--batch-size",
            "64",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["passed"]
    assert len([c for c in report["comparisons"] if c["check"].startswith("after 10")]) == 41


def test_parity_cli_errors(legacy_dir, capsys):
    assert main(["parity", "--legacy-dir", str(legacy_dir), "--steps", "5"]) == 2
    assert "was trained on 201 users x 151 items" in capsys.readouterr().err
    assert main(["parity", "--optimizers", "sgd,rmsprop"]) == 2
    assert "--optimizers: unknown rmsprop" in capsys.readouterr().err
    pair = ["--legacy", "a:build", "--migrated", "b:make", "--batches", "c.npz"]
    assert main(["parity", *pair, "--jit-compile"]) == 2
    assert "--jit-compile is for the two-tower pair" in capsys.readouterr().err


def test_a_failing_legacy_process_is_one_line(legacy_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(legacy_dir, broken)
    for data in broken.glob("*.data-*"):
        data.write_bytes(b"not a checkpoint shard")
    prefix = next(broken.glob("*.index")).name.removesuffix(".index")
    (broken / "checkpoint").write_text(f'model_checkpoint_path: "{prefix}"\n')  # this copy's
    data = ["--synthetic-users", "200", "--synthetic-items", "150"]
    code = main(
        ["parity", "--legacy-dir", str(broken), *data, "--synthetic-interactions", "6000",
         "--steps", "2", "--optimizers", "sgd"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tf2rec parity: error: the legacy model's process failed (exit 1): ")


def test_a_truncated_checkpoint_is_one_line(legacy_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(legacy_dir, broken)
    for data in broken.glob("*.data-*"):
        data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    assert main(["convert", "--legacy-dir", str(broken), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot read the checkpoint" in err, err
    assert not (tmp_path / "out").exists()


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("out", "where"),
    [(".", "is the same directory as"), ("sub", "is inside"), ("..", "holds")],
)
def test_convert_never_writes_over_around_or_into_its_input(
    legacy_dir, tmp_path, capsys, out, where
):
    source = tmp_path / "legacy"
    shutil.copytree(legacy_dir, source)
    before = _listing(source)
    target = source / out
    argv = ["convert", "--legacy-dir", str(source), "--out", str(target), "--overwrite"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    if where == "holds":  # the folder around it holds other files: refused for them first
        assert err.startswith(f"tf2rec convert: error: --out {target} "), err
    else:
        assert err == (
            f"tf2rec convert: error: --out {target} {where} --legacy-dir {source}; writing "
            "there would delete what is converted: choose another directory\n"
        )
    assert _listing(source) == before and _listing(tmp_path) == ["legacy"]


def test_convert_reverse_never_writes_over_its_model_directory(legacy_dir, tmp_path, capsys):
    assert main(["convert", "--legacy-dir", str(legacy_dir), "--out", str(tmp_path / "k")]) == 0
    model = tmp_path / "k" / "model.keras"
    before = _listing(tmp_path / "k")
    capsys.readouterr()
    argv = ["convert", "--reverse", "--model", str(model), "--out", str(tmp_path / "k")]
    assert main([*argv, "--overwrite"]) == 2
    assert capsys.readouterr().err == (
        f"tf2rec convert: error: --out {tmp_path / 'k'} holds --model {model}; writing there "
        "would delete what is converted: choose another directory\n"
    )
    argv[-1] = str(tmp_path / "k" / "back")
    assert main(argv) == 2
    assert "is inside the directory of --model" in capsys.readouterr().err
    assert _listing(tmp_path / "k") == before


def test_a_checkpoint_that_is_not_the_models_is_refused_before_writing(
    legacy_dir, tmp_path, capsys
):
    source = tmp_path / "legacy"
    shutil.copytree(legacy_dir, source)
    hparams = json.loads((source / "hparams.json").read_text())
    (source / "hparams.json").write_text(json.dumps({**hparams, "n_items": 100}))
    assert main(["convert", "--legacy-dir", str(source), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "tf2rec convert: error: shape mismatch: Keras "
        "two_tower_recommender/item_tower/item_embedding/embeddings is (100, 8), TF1 "
        "item_tower/item_embedding is (151, 8)\n"
    )
    assert _listing(tmp_path) == ["legacy"]


# Convert in a process that may write files of LIMIT bytes at most: the files of the model
# need more. With CHECK=0 the check of room before writing is left out, so TensorFlow's own
# writer meets the limit (EFBIG).
_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
import tensorflow, keras
from tf2rec.tools import convert
from tf2rec.tools.cli import main
if sys.argv[1] == "0":
    convert.ensure_room = lambda *args: None
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("reverse", "check", "head", "message"),
    [
        (False, "1", "cannot write --out {out}: ", "one of its files needs about 193,156 bytes, "
         "more than this process may write (20,000 bytes, `ulimit -f`); raise the limit and run "
         "again"),
        (True, "1", "cannot write --out {out}: ", "one of its files needs about"),
        # past the check, TensorFlow's checkpoint writer meets the limit: the model directory's
        # writer names the file and the limit
        (True, "0", "--out {out}: cannot write {out.parent}/.out.tf2rec-partial/model.ckpt-",
         " (File too large); nothing was written (the old model, if any, is unchanged): raise "
         "the file-size limit (`ulimit -f`) and run again"),
    ],
)  # fmt: skip
@pytest.mark.slow  # a TensorFlow process each
def test_a_full_disk_or_file_size_limit_is_one_line_and_leaves_nothing(
    legacy_dir, tmp_path, capsys, reverse, check, head, message
):
    if reverse:
        assert main(["convert", "--legacy-dir", str(legacy_dir), "--out", str(tmp_path / "k")]) == 0
        argv = ["convert", "--reverse", "--model", str(tmp_path / "k" / "model.keras")]
    else:
        argv = ["convert", "--legacy-dir", str(legacy_dir)]
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, check, *argv, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tf2rec convert: error: " + head.format(out=out)), last
    assert message in last, last
    assert not out.exists() and not list(tmp_path.glob(".out.*"))
