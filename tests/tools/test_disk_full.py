"""A full disk during `train` or `legacy-train` is one line naming the directory, the file
and what to do; nothing partial is left and the old model stays. A device with too little
room is refused before TensorFlow's writers run (some crash on a full disk)."""

import errno
import os
import sys
import types
from collections import namedtuple
from pathlib import Path

import pytest

import tf2rec.migrated.train
from tf2rec.tools import training
from tf2rec.tools.cli import main

DATA = ["--synthetic-users", "60", "--synthetic-items", "40", "--synthetic-interactions", "900"]


def full_disk_at(name):
    def trainer(split, folder, **kwargs):
        folder = Path(folder)  # the legacy trainer is given a str
        (folder / "model.keras").write_text("half")
        target = str(folder / name)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), target)

    return trainer


def old_model(tmp_path, monkeypatch):
    monkeypatch.setattr("tf2rec.tools.cli.train.results_table", lambda rows: "")

    def trainer(split, folder, **kwargs):
        (folder / "model.keras").write_text("old")
        return {"test": {}, "popularity": {}, "seconds": 0.0}

    monkeypatch.setattr(tf2rec.migrated.train, "train", trainer)
    path = tmp_path / "model"
    assert main(["train", "--model-dir", str(path), *DATA]) == 0
    return path


@pytest.mark.parametrize("command", ["train", "legacy-train"])
def test_a_full_disk_is_one_line_and_leaves_the_old_model(tmp_path, monkeypatch, capsys, command):
    path = old_model(tmp_path, monkeypatch)
    capsys.readouterr()
    partial = tmp_path / ".model.tf2rec-partial"
    if command == "train":
        monkeypatch.setattr(tf2rec.migrated.train, "train", full_disk_at("saved_model/x.pb"))
    else:  # the legacy trainer, without importing TF1 into this process
        fake = types.ModuleType("tf2rec.legacy.train")
        fake.train = full_disk_at("model.ckpt-10.index")
        monkeypatch.setitem(sys.modules, "tf2rec.legacy.train", fake)
    name = "saved_model/x.pb" if command == "train" else "model.ckpt-10.index"
    assert main([command, "--model-dir", str(path), "--overwrite", *DATA]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        f"tf2rec {command}: error: --model-dir {path}: no space left on the device writing "
        f"{partial / name}; nothing was written (the old model, if any, is unchanged): free "
        "some space there or choose another directory"
    )
    assert not partial.exists()
    assert (path / "model.keras").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_too_little_free_space_is_refused_before_training(tmp_path, monkeypatch, capsys):
    called = []
    monkeypatch.setattr(tf2rec.migrated.train, "train", lambda *a, **k: called.append(1))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(training.shutil, "disk_usage", lambda p: usage(2**30, 2**30, 2**20))
    path = tmp_path / "model"
    assert main(["train", "--model-dir", str(path), *DATA]) == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert line.startswith(f"tf2rec train: error: --model-dir {path}: about ")
    assert line.endswith(
        " MiB are needed and its device has 1 MiB free; free some space there or choose "
        "another directory"
    )
    assert called == [] and not path.exists()


def test_the_space_needed_grows_with_the_tables():
    from tf2rec.interactions import leave_last_out, synthetic

    split = leave_last_out(synthetic(60, 40, 900, seed=0))
    small = training.bytes_needed(split, {"embedding_dim": 8})
    large = training.bytes_needed(split, {"embedding_dim": 1024})
    rows = split.n_users + split.n_items
    assert large - small == training.WEIGHT_COPIES * 4 * rows * (1024 - 8) + (
        training.WEIGHT_COPIES * 4 * 4 * 64 * (1024 - 8)
    )
