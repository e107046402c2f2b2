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
