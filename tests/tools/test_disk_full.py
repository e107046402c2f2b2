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


def tf_write_error_at(name, reason):
    """A legacy trainer whose Saver fails as TensorFlow's does: a tf.errors class (not an
    OSError) whose message names the file it was writing, under a temporary suffix."""

    def trainer(split, folder, **kwargs):
        import tensorflow as tf

        target = f"{folder}/{name}.tempstate4919675220024467558"
        raise tf.errors.OutOfRangeError(
            None,
            None,
            f"Graph execution error:\n\n{target}; {reason}\n\t [[{{{{node save/SaveV2}}}}]]",
        )

    return trainer


@pytest.mark.parametrize(
    ("reason", "advice"),
    [
        ("File too large", "raise the file-size limit (`ulimit -f`) and run again"),
        ("No space left on device", "free some space there or choose another directory"),
        ("Permission denied", "fix the permissions there or choose another directory"),
    ],
)
def test_a_tensorflow_write_error_in_legacy_train_is_one_line_naming_the_file(
    tmp_path, monkeypatch, capsys, reason, advice
):
    path = old_model(tmp_path, monkeypatch)
    capsys.readouterr()
    fake = types.ModuleType("tf2rec.legacy.train")
    fake.train = tf_write_error_at("model.ckpt-4.data-00000-of-00001", reason)
    monkeypatch.setitem(sys.modules, "tf2rec.legacy.train", fake)
    assert main(["legacy-train", "--model-dir", str(path), "--overwrite", *DATA]) == 2
    written = tmp_path / ".model.tf2rec-partial" / "model.ckpt-4.data-00000-of-00001"
    head = (
        f"no space left on the device writing {written}"
        if reason.startswith("No space")
        else f"cannot write {written} ({reason})"
    )
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tf2rec legacy-train: error: --model-dir {path}: {head}; nothing was written (the old "
        f"model, if any, is unchanged): {advice}"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert (path / "model.keras").read_text() == "old"


def test_a_tensorflow_error_that_names_no_file_of_the_run_is_not_taken_for_a_write(
    tmp_path, monkeypatch
):
    import tensorflow as tf

    def trainer(split, folder, **kwargs):
        raise tf.errors.InvalidArgumentError(None, None, "indices[3] = 41 is not in [0, 40)")

    fake = types.ModuleType("tf2rec.legacy.train")
    fake.train = trainer
    monkeypatch.setitem(sys.modules, "tf2rec.legacy.train", fake)
    with pytest.raises(tf.errors.InvalidArgumentError):
        main(["--debug", "legacy-train", "--model-dir", str(tmp_path / "m"), *DATA])


@pytest.mark.slow
def test_legacy_train_past_the_file_size_limit_is_one_line(tmp_path):
    """The real thing: TF1's Saver hits `ulimit -f` (EFBIG) and raises a tf.errors class
    (the check of the limit before training is left out, so the write itself fails)."""
    import resource
    import subprocess

    limit = 300 * 1024  # the checkpoint of a 512-wide embedding of 300 ids is 600 KiB

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    path = tmp_path / "leg"
    unchecked = (
        "import signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from tf2rec.tools import training; from tf2rec.tools.cli import main\n"
        "training.check_file_size_limit = lambda *args: None\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", unchecked, "legacy-train", "--model-dir", str(path),
         "--synthetic-users", "200", "--synthetic-items", "100",
         "--synthetic-interactions", "4000", "--epochs", "1", "--embedding-dim", "512"],
        capture_output=True, text=True, timeout=300, preexec_fn=small_files,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    partial = tmp_path / ".leg.tf2rec-partial"
    assert done.stderr.splitlines()[-1] == (
        f"tf2rec legacy-train: error: --model-dir {path}: cannot write "
        f"{partial}/model.ckpt-4.data-00000-of-00001 (File too large); nothing was written (the "
        "old model, if any, is unchanged): raise the file-size limit (`ulimit -f`) and run again"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["train", "legacy-train"])
def test_a_file_size_limit_below_the_models_files_is_refused_before_training(
    tmp_path, monkeypatch, capsys, command
):
    """TensorFlow's h5py writer crashed the process (signal 11) past `ulimit -f`."""
    import resource

    called = []
    monkeypatch.setattr(tf2rec.migrated.train, "train", lambda *a, **k: called.append(1))
    fake = types.ModuleType("tf2rec.legacy.train")
    fake.train = lambda *a, **k: called.append(1)
    monkeypatch.setitem(sys.modules, "tf2rec.legacy.train", fake)
    real = resource.getrlimit
    monkeypatch.setattr(
        resource,
        "getrlimit",
        lambda which: (20_000, 20_000) if which == resource.RLIMIT_FSIZE else real(which),
    )
    path = tmp_path / "model"
    assert main([command, "--model-dir", str(path), *DATA]) == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert line.startswith(f"tf2rec {command}: error: cannot write --model-dir {path}: one of ")
    assert line.endswith(
        ", more than this process may write (20,000 bytes, `ulimit -f`); raise the limit and "
        "run again"
    )
    assert called == [] and not path.exists()


def _bytes_under(folder: Path) -> tuple[int, int]:
    """(all bytes of the files under `folder`, the largest file's), for files that exist."""
    total = largest = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                size = os.lstat(os.path.join(root, name)).st_size
            except OSError:  # renamed or removed meanwhile
                continue
            total, largest = total + size, max(largest, size)
    return total, largest


@pytest.mark.slow
@pytest.mark.parametrize("command", ["train", "legacy-train"])
def test_a_run_writes_no_more_than_the_space_it_checks_for(tmp_path, command):
    """The estimate checked before a run is measured: the bytes under the folder holding
    the model directory (its partial folder and backups included), polled every 0.05 s."""
    import subprocess
    import time

    from tf2rec.interactions import leave_last_out, synthetic

    sizes = ["--synthetic-users", "3000", "--synthetic-items", "3000"]
    sizes += ["--synthetic-interactions", "60000", "--embedding-dim", "64"]
    child = subprocess.Popen(
        [sys.executable, "-m", "tf2rec.tools.cli", command, "--model-dir", "m", *sizes,
         "--epochs", "3", *(["--quiet"] if command == "train" else [])],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak_total = peak_file = 0
    while child.poll() is None:
        total, largest = _bytes_under(tmp_path)
        peak_total, peak_file = max(peak_total, total), max(peak_file, largest)
        time.sleep(0.05)
    assert child.returncode == 0, child.stderr.read()
    split = leave_last_out(synthetic(3000, 3000, 60000, seed=0))
    options = {"embedding_dim": 64}
    assert 0 < peak_total <= training.bytes_needed(split, options)
    assert 0 < peak_file <= training.largest_file(split, options)
