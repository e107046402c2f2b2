"""The legacy TF1 model: it learns, its checkpoints restore exactly, its CLI fails clearly."""

import pytest

from tests.cli import exit_code, result_rows, run_tf2rec
from tf2rec.tools.cli import main


def test_loss_decreases_on_small_synthetic_data(run_legacy, tmp_path):
    result = run_legacy(f"""
        import json
        from tf2rec.interactions import leave_last_out, synthetic
        from tf2rec.legacy.train import train
        split = leave_last_out(synthetic(400, 300, 12_000, seed=1))
        out = train(split, {str(tmp_path / "m")!r}, steps=300, batch_size=128, lr=0.01,
                    log=lambda *_: None)
        print(json.dumps(out["losses"]))
    """)
    assert len(result) == 300
    first, last = sum(result[:30]) / 30, sum(result[-30:]) / 30
    assert last < 0.8 * first, (first, last)


def test_restored_checkpoint_gives_bitwise_identical_scores(run_legacy, tmp_path):
    result = run_legacy(f"""
        import json, os
        import numpy as np
        import tensorflow.compat.v1 as tf
        from tf2rec.interactions import BatchSampler, leave_last_out, synthetic
        from tf2rec.interactions.model_files import HPARAMS_FILE
        from tf2rec.legacy.train import build_graph, restore, score_all_items, session_config
        split = leave_last_out(synthetic(300, 200, 6_000, seed=2))
        hparams = dict(n_users=split.n_users, n_items=split.n_items, embedding_dim=16,
                       hidden_units=24, history_length=6, negatives=4, optimizer="adam",
                       lr=0.01, seed=5)
        model_dir = {str(tmp_path / "m")!r}
        os.makedirs(model_dir)
        graph, model = build_graph(hparams)
        users, history = split.test.user, split.test.history(6)
        with tf.Session(graph=graph, config=session_config()) as sess:
            sess.run(model.init_op)
            batches = BatchSampler(split.train, split.n_items, batch_size=64, negatives=4,
                                   history_length=6, seed=5)
            for batch in batches.take(40):
                sess.run(model.train_op, feed_dict=model.feed(batch))
            before = score_all_items(sess, model, users, history)
            model.saver.save(sess, os.path.join(model_dir, "model.ckpt"),
                             global_step=model.global_step)
        with open(os.path.join(model_dir, HPARAMS_FILE), "w") as f:
            json.dump(hparams, f)
        sess, restored = restore(model_dir)
        after = score_all_items(sess, restored, users, history)
        step = sess.run(restored.global_step)
        print(json.dumps({{"equal": bool(np.array_equal(before.view(np.uint32),
                                                        after.view(np.uint32))),
                          "step": int(step), "shape": list(after.shape)}}))
    """)
    assert result == {"equal": True, "step": 40, "shape": [300, 201]}


@pytest.mark.slow  # the README's figures: minutes of training on the default data
def test_cli_trains_and_beats_popularity_on_default_data(tmp_path):
    model_dir = tmp_path / "legacy"
    out = run_tf2rec("legacy-train", "--model-dir", str(model_dir), "--epochs", "6")
    assert out.returncode == 0, out.stderr[-3000:]
    rows = result_rows(out.stdout, "legacy", "popularity")
    model_recall = float(rows["legacy"][2])
    popularity_recall = float(rows["popularity"][1])
    assert model_recall > 1.5 * popularity_recall, out.stdout
    names = {p.name for p in model_dir.iterdir()}
    assert {"hparams.json", "vocab.json", "checkpoint", "logs"} <= names
    assert any(n.startswith("model.ckpt-") and n.endswith(".index") for n in names)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "nowhere.csv"], "nowhere.csv: no such file"),
        (["--lr", "-1"], "argument --lr: must be greater than 0, got -1"),
        (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice: 'rmsprop'"),
        (["--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
        (["--epochs", "2", "--steps", "3"], "argument --steps: not allowed with argument"),
    ],
)
def test_bad_flags_and_paths_are_clear_errors(tmp_path, capsys, args, message):
    assert exit_code(["legacy-train", "--model-dir", str(tmp_path / "m"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_model_dir_that_is_a_file_or_holds_other_files(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["legacy-train", "--model-dir", str(tmp_path / "file")]) == 2
    assert "is a file; pass a directory" in capsys.readouterr().err
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "notes.txt").write_text("mine")
    assert main(["legacy-train", "--model-dir", str(tmp_path / "dir"), "--overwrite"]) == 2
    assert "refusing to delete them" in capsys.readouterr().err
    assert (tmp_path / "dir" / "notes.txt").read_text() == "mine"


def test_the_optimizer_table_names_the_classes_each_side_uses(run_legacy):
    """`interactions.OPTIMIZER_KINDS` is what the converter and the migrated trainer read; the
    legacy model spells its optimizers out as TF1 code did. They must agree."""
    import keras

    from tf2rec.interactions import OPTIMIZER_KINDS
    from tf2rec.migrated.train import make_optimizer

    legacy = run_legacy("""
        import json
        from tf2rec.interactions import OPTIMIZERS
        from tf2rec.legacy.model import make_optimizer
        print(json.dumps({name: type(make_optimizer(name, 0.1)).__name__ for name in OPTIMIZERS}))
    """)
    for name, kind in OPTIMIZER_KINDS.items():
        assert legacy[name] == kind.tf1_class
        migrated = make_optimizer(name, 0.1)
        assert type(migrated).__name__ == kind.migrated_class
        assert isinstance(migrated, getattr(keras.optimizers, kind.keras_class))
