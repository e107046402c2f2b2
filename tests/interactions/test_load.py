"""Loading MovieLens files and generic tables, and every bad-input case a user can hit."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tf2rec.interactions import DataError, load


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


U_DATA = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
RATINGS = (
    "userId,movieId,rating,timestamp\n"
    "1,31,2.5,1260759144\n1,1029,3.0,1260759179\n2,10,4.0,835355493\n"
)


def test_ml100k_u_data(tmp_path):
    data = load(write(tmp_path, "u.data", U_DATA))
    assert data.user.tolist() == [196, 186, 22]
    assert data.item.tolist() == [242, 302, 377]
    assert data.timestamp.tolist() == [881250949, 891717742, 878887116]
    assert data.skipped_rows == 0


def test_ratings_csv_with_min_rating(tmp_path):
    path = write(tmp_path, "ratings.csv", RATINGS)
    assert len(load(path)) == 3
    implicit = load(path, min_rating=3.0)
    assert implicit.user.tolist() == [1, 2]
    assert implicit.item.tolist() == [1029, 10]


def test_directory_finds_ratings_csv(tmp_path):
    write(tmp_path, "ratings.csv", RATINGS)
    assert len(load(tmp_path)) == 3


def test_generic_table_with_named_columns_and_iso_dates(tmp_path):
    path = write(
        tmp_path,
        "events.tsv",
        "who\twhat\twhen\n7\t70\t2020-01-01T00:00:00Z\n8\t80\t1577836860\n",
    )
    data = load(path, user_col="who", item_col="what", time_col="when")
    assert data.user.tolist() == [7, 8]
    assert data.timestamp.tolist() == [1577836800, 1577836860]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        load(write(tmp_path, "empty.csv", "\n  \n"))


def test_header_only(tmp_path):
    with pytest.raises(DataError, match="no interaction rows"):
        load(write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n"))


def test_missing_column(tmp_path):
    path = write(tmp_path, "t.csv", "u,i,ts\n1,2,3\n")
    with pytest.raises(DataError) as err:
        load(path, user_col="user", item_col="i", time_col="ts")
    assert str(err.value) == (
        f"{path}:1: column 'user' not found in the header (columns: u, i, ts); name the right "
        "columns with --user-col/--item-col/--time-col/--rating-col"
    )


def test_non_integer_id_names_file_and_line(tmp_path):
    path = write(tmp_path, "u.data", "1\t2\t3\t100\n1\tabc\t3\t101\n")
    with pytest.raises(DataError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:2: item id 'abc' is not an integer;")
    assert "--skip-bad-rows" in str(err.value)


def test_fractional_id_is_not_an_integer(tmp_path):
    path = write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n1.5,2,3,100\n")
    with pytest.raises(DataError, match=r":2: user id '1.5' is not an integer"):
        load(path)


def test_wrong_field_count(tmp_path):
    path = write(tmp_path, "u.data", "1\t2\t3\t100\n1\t2\t3\n1\t2\t3\t4\t5\n")
    with pytest.raises(DataError, match=r"u\.data:2: expected 4 fields, found 3;.*\(2 such row"):
        load(path)


def test_bad_timestamp(tmp_path):
    path = write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,yesterday\n")
    with pytest.raises(DataError, match=r":2: timestamp 'yesterday' is neither Unix seconds"):
        load(path)


def test_bad_rating(tmp_path):
    path = write(tmp_path, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,good,100\n")
    with pytest.raises(DataError, match=r":2: rating 'good' is not a number"):
        load(path)


def test_skip_bad_rows_counts_them(tmp_path):
    path = write(
        tmp_path,
        "u.data",
        "1\t2\t3\t100\n1\tx\t3\t101\n\n2\t5\t3\n3\t6\t4\tlater\n4\t7\t5\t102\n",
    )
    data = load(path, skip_bad_rows=True)
    assert data.user.tolist() == [1, 4]
    assert data.skipped_rows == 3
    assert "3 bad rows skipped" in data.describe()


def test_line_numbers_count_blank_lines(tmp_path):
    path = write(tmp_path, "u.data", "1\t2\t3\t100\n\n\n1\t2\t3\tz\n")
    with pytest.raises(DataError, match=r"u\.data:4: timestamp 'z'"):
        load(path)


def test_unknown_format_is_explained(tmp_path):
    path = write(tmp_path, "x.csv", "a;b;c\n1;2;3\n")
    with pytest.raises(DataError, match=r"x\.csv:1: cannot tell the file format"):
        load(path)


def test_min_rating_needs_rating_column(tmp_path):
    path = write(tmp_path, "t.csv", "u,i,ts\n1,2,3\n")
    with pytest.raises(DataError, match="needs a rating column"):
        load(path, user_col="u", item_col="i", time_col="ts", min_rating=4)


def test_not_utf8(tmp_path):
    path = tmp_path / "u.data"
    path.write_bytes(b"1\t2\t3\t100\n1\t\xff\t3\t100\n")
    with pytest.raises(DataError, match=r"u\.data:2: not UTF-8"):
        load(path)


def test_large_ids_keep_precision(tmp_path):
    path = write(tmp_path, "u.data", f"{2**62}\t{2**53 + 1}\t3\t100\n")
    data = load(path)
    assert data.user.dtype == np.int64
    assert data.user.tolist() == [2**62] and data.item.tolist() == [2**53 + 1]


def test_large_ids_keep_precision_beside_a_skipped_row(tmp_path):
    path = write(tmp_path, "u.data", f"{2**53 + 1}\t5\t3\t100\nx\t5\t3\t100\n")
    assert load(path, skip_bad_rows=True).user.tolist() == [2**53 + 1]


@pytest.mark.slow
def test_a_200_mb_ratings_file_loads_in_at_most_twice_the_memory_of_its_columns(tmp_path):
    import subprocess
    import sys

    rows = 8_000_000  # about 216 MB of ratings.csv
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "userId": rng.integers(1, 200_000, rows),
            "movieId": rng.integers(1, 60_000, rows),
            "rating": rng.integers(1, 11, rows) / 2,
            "timestamp": rng.integers(800_000_000, 1_600_000_000, rows),
        }
    )
    frame.to_csv(tmp_path / "ratings.csv", index=False)
    del frame
    probe = (
        "import resource, sys\n"
        "from tf2rec.interactions import load\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "loaded = load(sys.argv[1])\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(len(loaded), (peak - base) * 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "ratings.csv")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    columns = 4 * 8 * rows  # user, item, rating, timestamp as 64-bit numbers
    assert int(out[0]) == rows
    assert int(out[1]) <= 2 * columns, f"{int(out[1]) / 1e6:.0f} MB above the base"
