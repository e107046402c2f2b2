"""A model directory's vocabulary and item counts are the ones its model was written with;
damaged or negative item counts are named in one line."""

import json

import numpy as np
import pytest

from tf2rec.interactions import DataError, Vocab, save_vocabs
from tf2rec.interactions.identity import check_identity, popularity_checksum, vocab_checksum
from tf2rec.interactions.user_items import load_user_items

USERS, ITEMS = Vocab([3, 1]), Vocab([10, 20, 30])
POPULARITY = np.array([0, 4, 2, 1])


def model_dir_with(tmp_path, users=USERS, items=ITEMS, popularity=POPULARITY):
    marker = {
        "format": "tf2rec model directory",
        "complete": True,
        "checksums": {
            "vocab.json": vocab_checksum(USERS, ITEMS),
            "user_items.npz": popularity_checksum(POPULARITY),
        },
    }
    (tmp_path / "tf2rec-model.json").write_text(json.dumps(marker))
    save_vocabs(tmp_path, users, items)
    np.savez(
        tmp_path / "user_items.npz",
        indptr=np.zeros(3, np.int64),
        items=np.zeros(0, np.int32),
        popularity=popularity,
    )
    return tmp_path


def test_the_files_the_model_was_written_with_pass(tmp_path):
    check_identity(model_dir_with(tmp_path), USERS, ITEMS, POPULARITY)


def test_a_vocabulary_of_the_same_size_with_other_ids_is_refused_naming_the_file(tmp_path):
    other = Vocab([10, 20, 31])
    assert len(other) == len(ITEMS)
    folder = model_dir_with(tmp_path, items=other)
    with pytest.raises(DataError) as err:
        check_identity(folder, USERS, other, POPULARITY)
    assert str(err.value) == (
        f"{folder / 'vocab.json'}: not the file this model was written with (checksum "
        f"{vocab_checksum(USERS, other)[:12]}, the model's {vocab_checksum(USERS, ITEMS)[:12]}); "
        "restore it from the model's run, or train the model again"
    )


def test_other_item_counts_are_refused_naming_the_file(tmp_path):
    counts = np.array([0, 1, 2, 4])
    folder = model_dir_with(tmp_path, popularity=counts)
    with pytest.raises(DataError, match=r"user_items\.npz: not the file this model was written"):
        check_identity(folder, USERS, ITEMS, counts)


def test_a_directory_written_before_the_checksums_is_not_checked(tmp_path):
    (tmp_path / "tf2rec-model.json").write_text('{"format": "tf2rec model directory"}')
    check_identity(tmp_path, USERS, Vocab([7, 8, 9]), POPULARITY)


def test_negative_item_counts_are_refused(tmp_path):
    folder = model_dir_with(tmp_path, popularity=np.array([0, 4, -2, 1]))
    with pytest.raises(DataError) as err:
        load_user_items(folder)
    assert str(err.value) == (
        f"{folder / 'user_items.npz'}: item counts cannot be negative (item index 2 has -2, "
        "1 such); the file is damaged: restore it or retrain the model"
    )


def test_a_damaged_history_npz_is_named_in_one_line(tmp_path):
    (tmp_path / "history.npz").write_bytes(b"PK\x03\x04 truncated archive")
    with pytest.raises(DataError) as err:
        load_user_items(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'history.npz'}: cannot read the users' interactions (")
    assert message.endswith("); retrain the model") and "\n" not in message


@pytest.mark.parametrize("content", [b"garbage\n", b"", b"\x93NUMPY\x01\x00v\x00{'descr': '<i8'"])
def test_a_file_that_is_no_npz_archive_is_named_without_numpys_pickle_advice(tmp_path, content):
    """numpy's own message for a text file advised loading it with pickle."""
    (tmp_path / "user_items.npz").write_bytes(content)
    with pytest.raises(DataError) as err:
        load_user_items(tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'user_items.npz'}: not a NumPy .npz archive (damaged or replaced); "
        "restore it or retrain the model"
    )


@pytest.mark.parametrize(
    "marker", ["[", "[1, 2]", '{"format": "tf2rec model directory", "checksums": 5}']
)
def test_a_damaged_marker_is_refused_not_taken_for_a_directory_without_checksums(tmp_path, marker):
    """A marker that did not parse was read as an old directory's: nothing was checked and
    a vocabulary of another run was served."""
    folder = model_dir_with(tmp_path)
    (folder / "tf2rec-model.json").write_text(marker)
    with pytest.raises(DataError) as err:
        check_identity(folder, Vocab([1, 3]), ITEMS, POPULARITY)
    assert str(err.value).startswith(f"{folder / 'tf2rec-model.json'}: damaged (")
    assert str(err.value).endswith(
        "); the vocabulary and item counts cannot be checked against the model: restore the "
        "file from the model's run, or train the model again"
    )


def test_a_vocabulary_that_cannot_be_read_is_one_line(tmp_path):
    from tests.cli import run_unprivileged

    folder = model_dir_with(tmp_path)
    (folder / "model.keras").write_bytes(b"read after the vocabulary")
    (folder / "vocab.json").chmod(0)
    done = run_unprivileged(["recommend", "--model-dir", str(folder), "--user", "3"])
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"tf2rec recommend: error: {folder / 'vocab.json'}: cannot read the vocabulary "
        "(Permission denied)"
    )


def test_a_vocabulary_that_is_a_json_list_is_named_corrupt(tmp_path):
    from tf2rec.interactions import load_vocabs

    (tmp_path / "vocab.json").write_text("[1, 2]")
    with pytest.raises(DataError) as err:
        load_vocabs(tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'vocab.json'}: corrupt vocabulary file ('list' object has no attribute "
        "'get'); retrain or restore it"
    )
