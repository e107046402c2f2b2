"""Read interaction logs: MovieLens ml-100k `u.data`, MovieLens `ratings.csv`, or any CSV/TSV.

Every problem a user can cause is a `DataError` naming the file, the line and what to do.
With `skip_bad_rows=True` malformed rows are dropped and counted instead.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from tf2rec.interactions.errors import DataError
from tf2rec.interactions.interaction_log import Interactions

FORMATS = ("auto", "ml-100k", "ratings-csv", "table")
_ML100K_FIELDS = ("user", "item", "rating", "timestamp")
_RATINGS_CSV_COLUMNS = ("userId", "movieId", "rating", "timestamp")
_SKIP_HINT = "fix the row, or pass skip_bad_rows=True (CLI: --skip-bad-rows) to drop bad rows"


def load(
    path: str | Path,
    *,
    format: str = "auto",
    user_col: str | None = None,
    item_col: str | None = None,
    time_col: str | None = None,
    rating_col: str | None = None,
    sep: str | None = None,
    min_rating: float | None = None,
    skip_bad_rows: bool = False,
) -> Interactions:
    """Load an interaction log into validated `Interactions` (raw ids, timestamps in seconds).

    `format="auto"` recognises `u.data` (tab-separated, no header) and MovieLens `ratings.csv`
    by their content; any other table needs `user_col`, `item_col` and `time_col`. A directory
    is searched for `ratings.csv` or `u.data`. With `min_rating`, only rows rated at least that
    much are kept (implicit feedback from explicit ratings). Ids are integers written in
    digits; item id 0 is refused, as 0 pads histories (in the model and in the SavedModel's
    signatures).
    """
    if not str(path):  # Path("") would be the current folder
        raise DataError("an empty path was given as the data; name a file or a directory")
    _check_sep(sep)
    path = _resolve(Path(path))
    if format not in FORMATS:
        raise DataError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if format == "auto":
        format = _detect_format(path, _first_line(path), user_col is not None)
    names = {"user": user_col, "item": item_col, "timestamp": time_col, "rating": rating_col}
    _check_distinct(path, names)
    fast = _fast_columns(path, format, names, sep)
    if fast is not None:  # a well-formed file: parsed in C, straight into arrays
        return _from_columns(path, *fast, min_rating)
    # otherwise row by row, to name the first bad row (or skip the bad ones)
    table, columns = _table(path, format, names, sep, skip_bad_rows)
    if min_rating is not None and "rating" not in columns:
        raise DataError(
            f"{path}: min_rating={min_rating} needs a rating column; name it with rating_col "
            "(CLI: --rating-col)"
        )
    if not table.rows:
        raise DataError(f"{path}: no interaction rows in the file")
    return _from_table(path, table, columns, min_rating, skip_bad_rows)


def _check_sep(sep: str | None) -> None:
    """A separator the CSV reader can split on: one character, not a quote or a newline (a
    longer one would be a regular expression to pandas and an error to the csv module)."""
    if sep is not None and (len(sep) != 1 or sep in '"\r\n'):
        raise DataError(
            f"the separator {sep!r} is not one character a CSV can split on; pass one "
            "character, such as ',' or '\\t' (CLI: --sep)"
        )


_ROLE_NAMES = {"user": "user id", "item": "item id", "timestamp": "timestamp", "rating": "rating"}


def _check_distinct(path: Path, names: dict) -> None:
    """One column per role: a column named twice would train on, say, the user as the item."""
    seen: dict[str, str] = {}
    for role, name in names.items():
        if name is not None and name in seen:
            raise DataError(
                f"{path}: column {name!r} is named for both the {_ROLE_NAMES[seen[name]]} and "
                f"the {_ROLE_NAMES[role]}; each needs a column of its own "
                "(CLI: --user-col/--item-col/--time-col/--rating-col)"
            )
        if name is not None:
            seen[name] = role


def _from_columns(path, user, item, timestamp, rating, min_rating) -> Interactions:
    """The interactions of columns the C reader parsed, filtered by `min_rating`."""
    if min_rating is not None and rating is None:
        raise DataError(
            f"{path}: min_rating={min_rating} needs a rating column; name it with "
            "rating_col (CLI: --rating-col)"
        )
    if min_rating is not None:
        keep = rating >= min_rating
        user, item, timestamp = user[keep], item[keep], timestamp[keep]
    if not len(user):
        why = f"with rating >= {min_rating}" if min_rating is not None else "that are valid"
        raise DataError(f"{path}: no interaction rows {why}")
    return Interactions(user=user, item=item, timestamp=timestamp, source=str(path))


def _table(path: Path, format: str, names: dict, sep: str | None, skip: bool):
    """The file's rows as a `_Table` and the index of each named column in them."""
    text = _read_text(path)
    if format == "ml-100k":
        table = _Table(path, text, sep or "\t", header=False)
        table.check_width(len(_ML100K_FIELDS), skip)
        return table, {"user": 0, "item": 1, "rating": 2, "timestamp": 3}
    if format == "ratings-csv":
        names = dict(
            zip(("user", "item", "rating", "timestamp"), _RATINGS_CSV_COLUMNS, strict=True)
        )
        default_sep = ","
    else:
        if not (names["user"] and names["item"] and names["timestamp"]):
            raise DataError(
                f"{path}: a generic table needs its column names: pass user_col, item_col "
                "and time_col (CLI: --user-col/--item-col/--time-col)"
            )
        names = {key: value for key, value in names.items() if value}
        default_sep = "\t" if path.suffix.lower() in (".tsv", ".data", ".tab") else ","
    table = _Table(path, text, sep or default_sep, header=True)
    columns = {key: table.column_index(name) for key, name in names.items()}
    table.check_width(len(table.header), skip)
    return table, columns


def _from_table(path, table, columns, min_rating, skip: bool) -> Interactions:
    """The interactions of the table's good rows (a bad one raises unless `skip`)."""
    user = table.integers(columns["user"], "user id", skip)
    item = table.integers(columns["item"], "item id", skip)
    table.refuse_padding_items(item, skip)
    timestamp = table.timestamps(columns["timestamp"], skip)
    rating = table.floats(columns["rating"], "rating", skip) if "rating" in columns else None
    keep = table.good
    if rating is not None and min_rating is not None:
        keep = keep & (rating >= min_rating)
    if not keep.any():
        why = f"with rating >= {min_rating}" if min_rating is not None else "that are valid"
        raise DataError(f"{path}: no interaction rows {why}")
    return Interactions(
        user=user[keep],
        item=item[keep],
        timestamp=timestamp[keep],
        source=str(path),
        skipped_rows=int((~table.good).sum()),
    )


def _first_line(path: Path) -> str:
    """The file's first non-empty line (enough to tell its format)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            for line in handle:
                if line.strip():
                    return line.rstrip("\r\n")
    except OSError as err:
        raise DataError(f"{path}: cannot read the file ({err.strerror})") from None
    raise DataError(f"{path}: the file is empty; expected one interaction per line")


def _fast_columns(path: Path, format: str, names: dict, sep: str | None):
    """(user, item, timestamp, rating or None) parsed by pandas' C reader, or None when the
    file is not simply well-formed (a bad row, an ISO date, an id beyond 64 bits or not
    written in digits, item id 0): the row-by-row reader then says which row and why."""
    layout = _layout(path, format, names, sep)
    if layout is None:
        return None
    columns, header, sep = layout
    dtypes = {"user": "int64", "item": "int64", "timestamp": "float64", "rating": "float64"}
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=header,
            usecols=list(columns.values()),
            dtype={columns[key]: dtypes[key] for key in columns},
            engine="c",
            encoding="utf-8-sig",
            skip_blank_lines=True,
        )
    except (ValueError, OverflowError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    if header is None:
        widths = pd.read_csv(path, sep=sep, header=None, nrows=1).shape[1]
        if widths != 4:
            return None
    timestamp = frame[columns["timestamp"]].to_numpy()
    if not len(frame) or not (np.isfinite(timestamp).all() and (np.abs(timestamp) < 2.0**62).all()):
        return None
    rating = frame[columns["rating"]].to_numpy() if "rating" in columns else None
    if rating is not None and not np.isfinite(rating).all():
        return None
    if (frame[columns["item"]].to_numpy() == 0).any():
        return None
    if not _ids_in_digits(path, sep, header, [columns["user"], columns["item"]]):
        return None
    return (
        frame[columns["user"]].to_numpy(),
        frame[columns["item"]].to_numpy(),
        np.floor(timestamp).astype(np.int64),
        rating,
    )


def _layout(path: Path, format: str, names: dict, sep: str | None):
    """(the columns by role, the header row or None, the separator) the C reader reads."""
    if format == "ml-100k":
        roles = ("user", "item", "rating", "timestamp")
        return dict(zip(roles, range(4), strict=True)), None, sep or "\t"
    if format == "ratings-csv":
        roles = ("user", "item", "rating", "timestamp")
        return dict(zip(roles, _RATINGS_CSV_COLUMNS, strict=True)), 0, sep or ","
    if not (names["user"] and names["item"] and names["timestamp"]):
        return None
    columns = {key: value for key, value in names.items() if value}
    return columns, 0, sep or ("\t" if path.suffix.lower() in (".tsv", ".data", ".tab") else ",")


def _ids_in_digits(path: Path, sep: str, header, id_columns: list) -> bool:
    """Whether every id field is an integer written in digits. The C reader also reads
    `5.0` or `1.2345678901234567e+17` as an int64, rounding the latter: such a file goes to
    the row-by-row reader, which refuses the row. Read as text in chunks, to bound memory."""
    chunks = pd.read_csv(
        path,
        sep=sep,
        header=header,
        usecols=id_columns,
        dtype=str,
        engine="c",
        encoding="utf-8-sig",
        chunksize=1 << 20,
    )
    with chunks:
        for chunk in chunks:
            for column in chunk.columns:
                if not chunk[column].str.fullmatch(r"\s*[+-]?[0-9]+\s*").all():
                    return False
    return True


def _resolve(path: Path) -> Path:
    """The file to read: `path`, or the MovieLens file in the directory `path`. Anything
    but a regular file or a directory (a FIFO, a device, a socket) is refused, not waited on."""
    if path.is_dir():
        for name in ("ratings.csv", "u.data"):
            if (path / name).is_file():
                return path / name
        raise DataError(f"{path}: directory holds neither ratings.csv nor u.data; pass the file")
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path passed as --data")
    if not path.is_file():
        raise DataError(
            f"{path}: not a regular file (a FIFO, device or socket); pass a file or a directory "
            "as --data"
        )
    return path


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: not UTF-8 text ({err.reason}); save the file as UTF-8"
        ) from None
    except OSError as err:
        raise DataError(f"{path}: cannot read the file ({err.strerror})") from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected one interaction per line")
    return text


def _detect_format(path: Path, first_line: str, has_columns: bool) -> str:
    if has_columns:
        return "table"
    fields = [f.strip() for f in first_line.split(",")]
    if fields[:2] == list(_RATINGS_CSV_COLUMNS[:2]):
        return "ratings-csv"
    tab_fields = first_line.split("\t")
    if len(tab_fields) == 4 and all(f.strip().lstrip("-").isdigit() for f in tab_fields[:2]):
        return "ml-100k"
    raise DataError(
        f"{path}:1: cannot tell the file format from its first line {first_line[:60]!r}; "
        "expected MovieLens u.data or ratings.csv, or pass user_col/item_col/time_col "
        "(CLI: --user-col/--item-col/--time-col) for another table"
    )


def _records(path: Path, text: str, sep: str):
    """(1-based line where the record starts, its fields) for each non-blank record; a quoted
    field keeps its newlines, as the CSV format says."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if "field larger than field limit" not in str(err):
                raise DataError(f"{path}:{reader.line_num}: not CSV ({err}); fix the row") from None
            raise DataError(
                f"{path}:{reader.line_num}: a field is longer than the "
                f"{csv.field_size_limit():,} characters tf2rec reads in one field; fix the row "
                "(is the separator or a quote wrong?)"
            ) from None
        if row and any(field.strip() for field in row):
            yield line, row
        line = reader.line_num + 1


class _Table:
    """Rows of string fields with their 1-based line numbers and a mask of rows still good."""

    def __init__(self, path: Path, text: str, sep: str, header: bool) -> None:
        self.path = path
        self.header: list[str] = []
        numbered = list(_records(path, text, sep))
        if header:
            self.header = [h.strip() for h in numbered[0][1]]
            numbered = numbered[1:]
        self.line_numbers = np.array([n for n, _ in numbered], dtype=np.int64)
        self.rows = [row for _, row in numbered]
        self.good = np.ones(len(self.rows), dtype=bool)

    def column_index(self, name: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise DataError(
                f"{self.path}:1: column {name!r} not found in the header "
                f"(columns: {', '.join(self.header)}); name the right columns with "
                "--user-col/--item-col/--time-col/--rating-col"
            ) from None

    def check_width(self, width: int, skip: bool) -> None:
        counts = np.fromiter((len(r) for r in self.rows), dtype=np.int64, count=len(self.rows))
        bad = counts != width
        self._flag(bad, lambda i: f"expected {width} fields, found {counts[i]}", skip)
        self.rows = [r if ok else [""] * width for r, ok in zip(self.rows, ~bad, strict=True)]

    def column(self, index: int) -> pd.Series:
        return pd.Series([r[index].strip() for r in self.rows], dtype=object)

    def integers(self, index: int, what: str, skip: bool) -> np.ndarray:
        """The column as int64: each field an integer written in digits, read exactly (a
        float such as 1.2345678901234567e+17 would be rounded, so it is refused)."""
        raw = self.column(index)
        bad = ~raw.str.fullmatch(r"[+-]?[0-9]+").to_numpy(dtype=bool)
        self._flag(bad, lambda i: f"{what} {raw.iat[i]!r} is not an integer", skip)
        digits = raw.str.lstrip("+-").str.len().to_numpy()
        huge = ~bad & (digits >= 19)
        for i in np.flatnonzero(huge):  # near the limit: decide exactly
            huge[i] = not -(2**63) <= int(raw.iat[i]) < 2**63
        self._flag(huge, lambda i: f"{what} {raw.iat[i]} does not fit in 64 bits", skip)
        bad |= huge
        result = np.zeros(len(raw), dtype=np.int64)
        result[~bad] = [int(field) for field in raw[~bad]]
        return result

    def refuse_padding_items(self, item: np.ndarray, skip: bool) -> None:
        """Item id 0 pads histories, in the model and in the SavedModel's signatures, so a
        real item 0 would be read as padding there."""
        zero = (item == 0) & self.good
        lines = ", ".join(str(n) for n in self.line_numbers[zero][:5])
        self._flag(
            zero,
            lambda i: (
                f"item id 0 is reserved for padding (line(s) {lines}); renumber the items from 1"
            ),
            skip,
        )

    def floats(self, index: int, what: str, skip: bool) -> np.ndarray:
        raw = self.column(index)
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        self._flag(bad, lambda i: f"{what} {raw.iat[i]!r} is not a number", skip)
        return np.where(bad, 0.0, values)

    def timestamps(self, index: int, skip: bool) -> np.ndarray:
        """Unix seconds, or ISO-8601 date/times converted to Unix seconds."""
        raw = self.column(index)
        numeric = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        seconds = np.where(np.isfinite(numeric), numeric, np.nan)
        text = np.isnan(seconds) & self.good
        if text.any():
            parsed = pd.to_datetime(raw[text], errors="coerce", format="ISO8601", utc=True)
            ok = parsed.notna().to_numpy()
            epoch = pd.Timestamp(0, tz="UTC")
            seconds[np.flatnonzero(text)[ok]] = (parsed[ok] - epoch).dt.total_seconds()
        bad = np.isnan(seconds)
        self._flag(
            bad,
            lambda i: f"timestamp {raw.iat[i]!r} is neither Unix seconds nor an ISO-8601 date",
            skip,
        )
        huge = ~bad & (np.abs(np.nan_to_num(seconds)) >= 2.0**62)
        self._flag(huge, lambda i: f"timestamp {raw.iat[i]} is out of range", skip)
        bad |= huge
        return np.where(bad, 0, np.floor(np.nan_to_num(seconds))).astype(np.int64)

    def _flag(self, bad: np.ndarray, describe, skip: bool) -> None:
        new = bad & self.good
        if not new.any():
            return
        if not skip:
            first = int(np.flatnonzero(new)[0])
            raise DataError(
                f"{self.path}:{self.line_numbers[first]}: {describe(first)}; {_SKIP_HINT} "
                f"({int(new.sum())} such row(s) in the file)"
            )
        self.good &= ~new
