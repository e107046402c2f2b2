"""Sizes a user chooses (the history length, the batch) checked against this machine's memory before
anything of that size is allocated: a typo such as `--history-length 1000000000` is one
line, not minutes of swapping and an out-of-memory kill."""

from __future__ import annotations

import os
from pathlib import Path

from tf2rec.interactions.errors import DataError

# bytes per history cell at the peak of `UserSequences.history_before`: the int64 offsets,
# the mask, the selected items and the int32 result side by side, rounded up
HISTORY_CELL_BYTES = 24


def available_memory() -> int:
    """Bytes the kernel says a new allocation can take without swapping (MemAvailable), or
    the physical memory where /proc/meminfo is missing."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_history_length(length: int, rows: int, longest: int) -> None:
    """Refuse a history of `length` items when `rows` of them (the users evaluated at once,
    or a batch) do not fit in the memory available. `longest`: the longest history in the
    data, named in the message as a length that is never cut."""
    needed = rows * length * HISTORY_CELL_BYTES
    available = available_memory()
    if needed > available:
        raise DataError(
            f"--history-length {length:,}: {rows:,} histories of that length need about "
            f"{needed / 2**30:,.1f} GiB, more than the {available / 2**30:,.1f} GiB of memory "
            f"available; choose a shorter history (the longest in the data is {longest:,} items)"
        )


def check_batch(batch_size: int, negatives: int, history_length: int, embedding_dim: int) -> None:
    """Refuse a batch that cannot fit in the memory available. Counted is only what a step
    must hold at once, so the check never refuses a batch that fits: each row's int32 ids
    (the user, its history, the positive, the negatives), the float32 embeddings gathered
    for them, and those embeddings' gradients."""
    ids = history_length + negatives + 2
    needed = batch_size * (ids * 4 + ids * embedding_dim * 4 * 2)
    available = available_memory()
    if needed > available:
        raise DataError(
            f"--batch-size {batch_size:,} with --history-length {history_length:,} and "
            f"--negatives {negatives:,}: one batch needs at least {needed / 2**30:,.1f} GiB "
            "(its ids, the embeddings it gathers and their gradients), more than the "
            f"{available / 2**30:,.1f} GiB of memory available; choose a smaller --batch-size, "
            "a shorter --history-length or fewer --negatives"
        )
