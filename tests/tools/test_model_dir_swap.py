"""The swap of a finished model into `--model-dir`, killed between any two of its steps,
leaves a state the next command recognises: it says what happened and puts the new model
at `--model-dir` (or the old one back, when no complete new one exists)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import tf2rec
from tf2rec.interactions import Vocab, save_vocabs
from tf2rec.tools import model_dir
from tf2rec.tools.cli import main

SETTINGS = {"lr": 0.01}


class Killed(BaseException):
    """The process dying at this point (nothing after it runs)."""


def finished_model(tmp_path, content: str):
    """A model directory at tmp_path/model holding `content`, written through the writer."""
    path = tmp_path / "model"
    with model_dir.writing(path, kind="migrated", settings=SETTINGS, overwrite=True) as run:
        (run.partial / "model.keras").write_text(content)
    return path


def kill_when(monkeypatch, name: str, after: bool):
    """Kill the swap at its call of `os.replace` or `exchange` whose first argument is the
    folder `name` (before or after that step happened)."""
    real_replace, real_exchange = os.replace, model_dir.exchange

    def step(real):
        def call(src, dst, *rest):
            if os.path.basename(src) != name:
                return real(src, dst, *rest)
            if not after:
                raise Killed
            real(src, dst, *rest)
            raise Killed

        return call

    monkeypatch.setattr(model_dir.os, "replace", step(real_replace))
    monkeypatch.setattr(model_dir, "exchange", step(real_exchange))


def replace_with_kill(tmp_path, monkeypatch, name, after, atomic=True):
    path = finished_model(tmp_path, "old")
    if not atomic:
        monkeypatch.setattr(model_dir, "exchange", lambda first, second: False)
    kill_when(monkeypatch, name, after)
    with pytest.raises(Killed):
        with model_dir.writing(path, kind="migrated", settings=SETTINGS, overwrite=True) as run:
            (run.partial / "model.keras").write_text("new")
    monkeypatch.undo()
    return path


def leftovers(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.name != "model")


def test_without_an_atomic_exchange_a_kill_between_the_renames_is_finished_by_recover(
    tmp_path, monkeypatch
):
    path = replace_with_kill(tmp_path, monkeypatch, "model", after=True, atomic=False)
    assert not path.exists()  # what the user found before: nothing at --model-dir
    assert model_dir.recover(path) == [
        f"finished an interrupted swap: the completed model in .model.tf2rec-partial is now {path}",
        "removed .model.tf2rec-old, the model an interrupted swap replaced",
    ]
    assert (path / "model.keras").read_text() == "new"
    assert leftovers(tmp_path) == []
    assert model_dir.recover(path) == []


def test_a_kill_after_the_atomic_exchange_leaves_the_new_model_in_place(tmp_path, monkeypatch):
    path = replace_with_kill(tmp_path, monkeypatch, ".model.tf2rec-partial", after=True)
    assert (path / "model.keras").read_text() == "new"  # at --model-dir throughout
    assert model_dir.recover(path) == [
        f"removed .model.tf2rec-partial, the model {path} replaced (its swap was interrupted)"
    ]
    assert (path / "model.keras").read_text() == "new"
    assert leftovers(tmp_path) == []


def test_a_kill_before_the_swap_finishes_it_with_the_completed_model(tmp_path, monkeypatch):
    path = replace_with_kill(tmp_path, monkeypatch, ".model.tf2rec-partial", after=False)
    assert (path / "model.keras").read_text() == "old"
    lines = model_dir.recover(path)
    assert lines[0] == (
        f"finished an interrupted swap: the completed model in .model.tf2rec-partial is now {path}"
    )
    assert (path / "model.keras").read_text() == "new"
    assert leftovers(tmp_path) == []


def test_an_old_model_left_alone_is_put_back(tmp_path):
    path = finished_model(tmp_path, "old")
    os.replace(path, model_dir.old_of(path))
    assert model_dir.recover(path) == [
        f"restored {path} from .model.tf2rec-old, where an interrupted swap left it"
    ]
    assert (path / "model.keras").read_text() == "old"


def test_an_interrupted_runs_partial_folder_is_left_to_resume(tmp_path):
    path = finished_model(tmp_path, "old")
    partial = model_dir.partial_of(path)
    with model_dir.lock(path):
        model_dir.start(path, True, "migrated", SETTINGS)
    assert partial.is_dir()
    assert model_dir.recover(path) == []  # incomplete: where the same command resumes
    assert partial.is_dir()


def test_recover_leaves_a_directory_alone_while_a_live_run_holds_it(tmp_path, monkeypatch):
    path = replace_with_kill(tmp_path, monkeypatch, "model", after=True, atomic=False)
    lock = path.with_name(".model.tf2rec-lock")
    lock.write_text(str(os.getppid()))  # a live process that is not this one
    assert model_dir.recover(path) == []
    lock.unlink()


def test_train_says_what_it_recovered(tmp_path, monkeypatch, capsys):
    import tf2rec.migrated.train

    path = replace_with_kill(tmp_path, monkeypatch, "model", after=True, atomic=False)

    def fake(split, folder, **kwargs):
        (folder / "model.keras").write_text("newer")
        return {"test": {}, "popularity": {}, "seconds": 0.0}

    monkeypatch.setattr(tf2rec.migrated.train, "train", fake)
    monkeypatch.setattr("tf2rec.tools.cli.train.results_table", lambda rows: "")
    data = ["--synthetic-users", "60", "--synthetic-items", "40", "--synthetic-interactions", "900"]
    assert main(["train", "--model-dir", str(path), "--overwrite", *data]) == 0
    err = capsys.readouterr().err
    assert (
        "tf2rec: finished an interrupted swap: the completed model in .model.tf2rec-partial is "
        f"now {path}\n"
    ) in err
    assert (path / "model.keras").read_text() == "newer"


def test_recommend_says_what_it_recovered_before_loading(tmp_path, monkeypatch, capsys):
    path = replace_with_kill(tmp_path, monkeypatch, "model", after=True, atomic=False)
    seen = []

    class Loaded:
        @classmethod
        def load(cls, folder):
            seen.append((Path(folder) / "model.keras").read_text())
            raise tf2rec.UsageError("stop here")

    monkeypatch.setattr(tf2rec, "Recommender", Loaded, raising=False)
    assert main(["recommend", "--model-dir", str(path), "--user", "1"]) == 2
    assert seen == ["new"]
    assert capsys.readouterr().err.startswith(
        "tf2rec: finished an interrupted swap: the completed model in .model.tf2rec-partial is "
        f"now {path}\n"
    )


def test_the_marker_records_the_checksums_of_the_vocabulary_and_item_counts(tmp_path):
    from tf2rec.interactions.identity import popularity_checksum, vocab_checksum

    users, items = Vocab([3, 1]), Vocab([10, 20, 30])
    popularity = np.array([0, 4, 2, 1])
    path = tmp_path / "model"
    with model_dir.writing(path, kind="migrated", settings=SETTINGS) as run:
        save_vocabs(run.partial, users, items)
        np.savez(
            run.partial / "user_items.npz",
            indptr=np.zeros(3, np.int64),
            items=np.zeros(0, np.int32),
            popularity=popularity,
        )
    marker = json.loads((path / "tf2rec-model.json").read_text())
    assert marker["checksums"] == {
        "vocab.json": vocab_checksum(users, items),
        "user_items.npz": popularity_checksum(popularity),
    }
