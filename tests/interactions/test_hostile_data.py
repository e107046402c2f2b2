"""Data a careless or hostile user passes: ids read exactly as written, item 0 (the padding
id) refused with its rows named, a FIFO refused at once, a history length too large for
memory refused before it is allocated."""

import os
import threading

import numpy as np
import pytest

from tf2rec.interactions import DataError, leave_last_out, load, synthetic
from tf2rec.interactions.memory import available_memory, check_history_length


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_quoted_id_with_a_newline_is_one_field_not_two_lines_joined(tmp_path):
    path = write(tmp_path, "ratings.csv", 'userId,movieId,rating,timestamp\n"1\n2",5,3,100\n')
    with pytest.raises(DataError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:2: user id '1\\n2' is not an integer;")


def test_a_quoted_field_spanning_lines_keeps_the_next_rows_line_numbers(tmp_path):
    path = write(
        tmp_path,
        "events.csv",
        'u,i,ts,note\n1,5,100,"two\nlines"\n2,x,101,plain\n',
    )
    with pytest.raises(DataError, match=r"events\.csv:4: item id 'x' is not an integer"):
        load(path, user_col="u", item_col="i", time_col="ts")


def test_quoted_ids_in_digits_are_read_as_written(tmp_path):
    path = write(tmp_path, "ratings.csv", 'userId,movieId,rating,timestamp\n"7","12",3,100\n')
    data = load(path)
    assert data.user.tolist() == [7] and data.item.tolist() == [12]


@pytest.mark.parametrize("written", ["1.2345678901234567e+17", "5.0", "1e3"])
def test_an_id_not_written_as_an_integer_is_refused_naming_its_line(tmp_path, written):
    path = write(
        tmp_path, "ratings.csv", f"userId,movieId,rating,timestamp\n1,2,3,100\n{written},2,3,101\n"
    )
    with pytest.raises(DataError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:3: user id '{written}' is not an integer;")


def test_item_id_zero_is_refused_naming_its_lines(tmp_path):
    path = write(tmp_path, "u.data", "1\t4\t3\t100\n1\t0\t3\t101\n2\t5\t3\t102\n3\t0\t1\t103\n")
    with pytest.raises(DataError) as err:
        load(path)
    assert str(err.value) == (
        f"{path}:2: item id 0 is reserved for padding (line(s) 2, 4); renumber the items from 1; "
        "fix the row, or pass skip_bad_rows=True (CLI: --skip-bad-rows) to drop bad rows "
        "(2 such row(s) in the file)"
    )


def test_item_id_zero_rows_are_dropped_with_skip_bad_rows(tmp_path):
    path = write(tmp_path, "u.data", "1\t4\t3\t100\n1\t0\t3\t101\n2\t5\t3\t102\n")
    data = load(path, skip_bad_rows=True)
    assert data.item.tolist() == [4, 5] and data.skipped_rows == 1


def test_user_id_zero_is_a_user_like_any_other(tmp_path):
    path = write(tmp_path, "u.data", "0\t4\t3\t100\n")
    assert load(path).user.tolist() == [0]


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)
    result = {}

    def attempt():
        try:
            load(fifo)
        except DataError as err:
            result["message"] = str(err)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=5)
    if reader.is_alive():  # it waits for a writer: release it before failing
        with open(fifo, "w"):
            pass
        pytest.fail("load() waited on a FIFO")
    assert result["message"] == (
        f"{fifo}: not a regular file (a FIFO, device or socket); pass a file or a directory "
        "as --data"
    )


def test_a_history_length_beyond_memory_is_refused_before_allocating():
    split = leave_last_out(synthetic(50, 40, 600, seed=0))
    rows, longest = len(split.validation), int(split.train.lengths.max())
    for length in (10**9, 2**31):
        needed = rows * length * 24
        assert needed > available_memory()
        with pytest.raises(DataError) as err:
            check_history_length(length, rows, longest)
        assert str(err.value).startswith(
            f"--history-length {length:,}: {rows:,} histories of that length need about "
            f"{needed / 2**30:,.1f} GiB, more than the "
        )
        assert str(err.value).endswith(
            f"of memory available; choose a shorter history (the longest in the data is "
            f"{longest:,} items)"
        )
    check_history_length(20, rows, longest)  # an ordinary length passes


def test_the_training_library_checks_the_history_length_before_importing_tensorflow():
    import sys

    from tf2rec.tools.training import train_legacy

    split = leave_last_out(synthetic(50, 40, 600, seed=0))
    before = "tensorflow" in sys.modules
    with pytest.raises(DataError, match=r"^--history-length 1,000,000,000: "):
        train_legacy(split, "/nonexistent/never-written", history_length=10**9)
    assert ("tensorflow" in sys.modules) == before
    assert not os.path.exists("/nonexistent/never-written")


def test_large_exact_ids_still_load_on_the_fast_path(tmp_path):
    path = write(tmp_path, "u.data", f"{2**62}\t{2**53 + 1}\t3\t100\n")
    assert load(path).item.tolist() == [2**53 + 1]
    assert np.asarray(load(path).user).dtype == np.int64


def test_an_empty_path_is_an_error_not_the_current_folder(tmp_path, monkeypatch):
    write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,100\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        load("")
    assert str(err.value) == "an empty path was given as the data; name a file or a directory"


@pytest.mark.parametrize("sep", ["", "||", "\\s+", "\n", '"'])
def test_a_separator_that_is_not_one_character_is_refused(tmp_path, sep):
    path = write(tmp_path, "events.csv", "a||b||c\n1||2||3\n")
    with pytest.raises(DataError) as err:
        load(path, user_col="a", item_col="b", time_col="c", sep=sep)
    assert str(err.value) == (
        f"the separator {sep!r} is not one character a CSV can split on; pass one "
        "character, such as ',' or '\\t' (CLI: --sep)"
    )


def test_one_column_named_for_two_roles_is_refused(tmp_path):
    path = write(tmp_path, "events.csv", "a,b,c\n1,2,3\n1,3,4\n1,4,5\n")
    with pytest.raises(DataError) as err:
        load(path, user_col="a", item_col="a", time_col="c")
    assert str(err.value) == (
        f"{path}: column 'a' is named for both the user id and the item id; each needs a "
        "column of its own (CLI: --user-col/--item-col/--time-col/--rating-col)"
    )


def test_a_field_past_the_csv_readers_limit_names_its_line(tmp_path):
    huge = "9" * 200_000
    path = write(
        tmp_path, "ratings.csv", f"userId,movieId,rating,timestamp\n1,2,3,4\n1,{huge},4,100\n"
    )
    with pytest.raises(DataError) as err:
        load(path)
    assert str(err.value) == (
        f"{path}:3: a field is longer than the 131,072 characters tf2rec reads in one field; "
        "fix the row (is the separator or a quote wrong?)"
    )


@pytest.mark.parametrize(("batch_size", "negatives"), [(10**9, 8), (1024, 10**9), (2**20, 2**20)])
def test_a_batch_beyond_memory_is_refused_naming_the_batch_options(batch_size, negatives):
    """--negatives 10^9 ended in TensorFlow's ResourceExhaustedError after the data was
    loaded; --batch-size 10^9 was blamed on --history-length."""
    from tf2rec.interactions.memory import check_batch

    length, dim = 20, 32
    # per row at the least: its int32 ids (the user, the history, the positive and the
    # negatives), the embeddings gathered for them and their gradients, in float32
    needed = batch_size * ((length + negatives + 2) * 4 + (length + negatives + 2) * dim * 8)
    assert needed > available_memory()
    with pytest.raises(DataError) as err:
        check_batch(batch_size, negatives, length, dim)
    assert str(err.value).startswith(
        f"--batch-size {batch_size:,} with --history-length 20 and --negatives {negatives:,}: "
        f"one batch needs at least {needed / 2**30:,.1f} GiB (its ids, the embeddings it "
        "gathers and their gradients), more than the "
    )
    assert str(err.value).endswith(
        " GiB of memory available; choose a smaller --batch-size, a shorter --history-length "
        "or fewer --negatives"
    )
    check_batch(1024, 8, length, dim)  # the defaults pass


def test_the_training_library_checks_the_batch_before_importing_tensorflow():
    import sys

    from tf2rec.tools.training import train

    split = leave_last_out(synthetic(50, 40, 600, seed=0))
    before = "tensorflow" in sys.modules
    with pytest.raises(
        DataError, match=r"^--batch-size 1,000,000,000 with --history-length 20 and --negatives 8: "
    ):
        train(split, "/nonexistent/never-written", batch_size=10**9)
    assert ("tensorflow" in sys.modules) == before
