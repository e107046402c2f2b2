"""A model directory is owned: tf2rec replaces only what it wrote, keeps the old model
until the new one is complete, runs one run per directory, and resumes only the same run."""

import json
import os
import subprocess
import sys

import pytest

from tests.cli import exit_code
from tf2rec.errors import UsageError
from tf2rec.tools import model_dir
from tf2rec.tools.cli import main

SETTINGS = {"lr": 0.01, "optimizer": "adam", "data": "abc"}
DATA = ["--synthetic-users", "60", "--synthetic-items", "40", "--synthetic-interactions", "900"]


def train_fake(monkeypatch, fail: bool = False):
    """`tf2rec train` with a trainer that writes a file (or fails) instead of training."""
    import tf2rec.migrated.train

    def fake(split, folder, **kwargs):
        if fail:
            raise FloatingPointError("training diverged (loss is NaN); lower --lr")
        (folder / "model.keras").write_text("new model")
        return {"test": {}, "popularity": {}, "seconds": 0.0}

    monkeypatch.setattr(tf2rec.migrated.train, "train", fake)
    monkeypatch.setattr("tf2rec.tools.cli.train.results_table", lambda rows: "")


def test_overwrite_replaces_only_a_directory_tf2rec_wrote(tmp_path, monkeypatch, capsys):
    train_fake(monkeypatch)
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "config.json").write_text("{}")  # looks like a model; is not one of ours
    (sources / "notes.txt").write_text("keep me")
    assert main(["train", "--model-dir", str(sources), "--overwrite", *DATA]) == 2
    assert "holds files tf2rec did not write" in capsys.readouterr().err
    assert sorted(p.name for p in sources.iterdir()) == ["config.json", "notes.txt"]

    monkeypatch.chdir(sources)
    assert main(["train", "--model-dir", ".", "--overwrite", *DATA]) == 2
    assert "is the current, home or root directory" in capsys.readouterr().err
    assert (sources / "notes.txt").read_text() == "keep me"


def test_a_backup_folder_is_not_taken_for_an_interrupted_run(tmp_path, monkeypatch, capsys):
    train_fake(monkeypatch)
    folder = tmp_path / "work"
    (folder / "backup").mkdir(parents=True)
    (folder / "backup" / "notes.txt").write_text("mine")
    assert main(["train", "--model-dir", str(folder), *DATA]) == 2
    assert "is not empty; pass --overwrite" in capsys.readouterr().err
    assert (folder / "backup" / "notes.txt").read_text() == "mine"


def test_a_failed_run_leaves_the_old_model(tmp_path, monkeypatch, capsys):
    train_fake(monkeypatch)
    folder = tmp_path / "model"
    assert main(["train", "--model-dir", str(folder), *DATA]) == 0
    marker = json.loads((folder / model_dir.MARKER).read_text())
    assert marker["format"] == model_dir.FORMAT and marker["complete"] is True
    (folder / "model.keras").write_text("old model")
    train_fake(monkeypatch, fail=True)
    assert main(["train", "--model-dir", str(folder), "--overwrite", *DATA]) == 2
    assert "training diverged" in capsys.readouterr().err
    assert (folder / "model.keras").read_text() == "old model"
    train_fake(monkeypatch)  # and a run that completes replaces it
    assert main(["train", "--model-dir", str(folder), "--overwrite", *DATA]) == 0
    assert (folder / "model.keras").read_text() == "new model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # nothing left beside it


def test_an_interrupted_run_resumes_only_with_the_same_settings(tmp_path):
    folder = tmp_path / "model"
    with model_dir.lock(folder):
        partial, resuming = model_dir.start(folder, False, "migrated", SETTINGS)
    assert not resuming and partial.name == ".model.tf2rec-partial"  # then the run crashed
    with model_dir.lock(folder):
        assert model_dir.start(folder, False, "migrated", SETTINGS) == (partial, True)
    with pytest.raises(UsageError, match=r"\(lr was 0.01, now 0.1\); rerun with its settings"):
        model_dir.start(folder, False, "migrated", {**SETTINGS, "lr": 0.1})
    # --overwrite starts over
    assert model_dir.start(folder, True, "migrated", {**SETTINGS, "lr": 0.1}) == (partial, False)


def test_one_run_per_directory_and_a_dead_holders_lock_is_taken_over(tmp_path):
    folder = tmp_path / "model"
    with model_dir.lock(folder):
        with pytest.raises(
            UsageError, match=rf"in use by another tf2rec run \(process {os.getpid()}\)"
        ):
            with model_dir.lock(folder):
                pass
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    (tmp_path / ".model.tf2rec-lock").write_text(dead)
    with model_dir.lock(folder):
        assert (tmp_path / ".model.tf2rec-lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".model.tf2rec-lock").exists()


def test_a_git_work_tree_is_never_replaced(tmp_path):
    tree = tmp_path / "repo"
    (tree / ".git").mkdir(parents=True)
    with pytest.raises(UsageError, match="is a git work tree"):
        model_dir.start(tree, True, "migrated", SETTINGS)
    assert (tree / ".git").is_dir()


def test_a_symlinked_model_directory_keeps_its_link(tmp_path, monkeypatch, capsys):
    train_fake(monkeypatch)
    real = tmp_path / "disk" / "model"
    real.mkdir(parents=True)
    link = tmp_path / "model"
    link.symlink_to(real)
    assert main(["train", "--model-dir", str(link), *DATA]) == 0
    assert link.is_symlink() and (real / "model.keras").read_text() == "new model"
    assert main(["train", "--model-dir", str(link), "--overwrite", *DATA]) == 0
    assert link.is_symlink() and model_dir.is_owned(real)


def test_overwrite_keeps_a_model_directory_that_also_holds_the_users_files(tmp_path):
    folder = tmp_path / "model"
    with model_dir.lock(folder):
        partial, _ = model_dir.start(folder, False, "migrated", SETTINGS)
        (partial / "model.keras").write_text("model")
        model_dir.finish(partial, folder, "migrated", SETTINGS)
    (folder / "notes.txt").write_text("the user's")
    with pytest.raises(UsageError, match="also holds notes.txt, which tf2rec did not write"):
        model_dir.start(folder, True, "migrated", SETTINGS)
    assert (folder / "notes.txt").read_text() == "the user's"


def test_the_current_home_or_root_directory_is_never_a_model_directory_even_empty(
    tmp_path, monkeypatch, capsys
):
    """An empty current folder was taken as a new model directory: the swap then renamed
    the folder the shell stands in and left the model under its name."""
    train_fake(monkeypatch)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for given in (".", str(here)):
        assert main(["train", "--model-dir", given, *DATA]) == 2
        assert capsys.readouterr().err == (
            f"tf2rec train: error: --model-dir {given} is the current, home or root "
            "directory; refusing to replace it\n"
        )
    assert list(here.iterdir()) == [] and list(tmp_path.iterdir()) == [here]


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--model-dir", "", *DATA],
        ["legacy-train", "--model-dir", "", *DATA],
        ["recommend", "--model-dir", "", "--user", "1"],
    ],
)
def test_an_empty_model_directory_is_an_error(tmp_path, monkeypatch, capsys, argv):
    train_fake(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert exit_code(argv) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tf2rec {argv[0]}: error: argument --model-dir: an empty path; name a file or a folder"
    )
    assert list(tmp_path.iterdir()) == []
