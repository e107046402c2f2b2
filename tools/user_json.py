"""JSON files a user hands to a command (a name map, hparams): read with limits, so that a
wrong file is one clear line, never a traceback or a machine out of memory."""

from __future__ import annotations

import json
from pathlib import Path

from tf2rec.interactions import DataError

MAX_BYTES = 16 * 2**20  # far above any real map or hparams file


def read_json(path: str | Path, what: str):
    """The JSON value in `path`; DataError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"{path}: {size:,} bytes is too big for a {what}")
        text = path.read_bytes().decode("utf-8")
        return json.loads(text)
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what}") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read the {what} ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: the {what} is not UTF-8 ({err.reason} at byte {err.start})"
        ) from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: the {what} is not JSON ({err.msg}, line {err.lineno})") from None
    except RecursionError:
        raise DataError(f"{path}: the {what} is nested too deeply to be one") from None
