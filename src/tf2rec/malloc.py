"""The C allocator's settings for a training process: every thread reuses the memory the
others free, so a step's large buffers are not new pages every step.

A step of the migrated model allocates and frees buffers of several MB (a batch's gathered
embedding rows, XLA's working memory for the step) from TensorFlow's threads. glibc gives
each thread an arena of its own (up to 8 per core), so a buffer freed into one arena is of
no use to the next step's thread, which maps fresh memory; and it maps buffers above its
moving `mmap` threshold straight from the system and unmaps them when freed. Either way
the next step's buffer is new pages, and each page costs a fault when first written: at
small vocabularies those faults can take longer than the step's arithmetic (the README
has the measurements).

`reuse_freed_memory` makes glibc keep one arena, map from the system only what is larger
than 32 MiB (its largest automatic threshold, fixed from the start instead of moved by
whichever thread frees first) and give back a freed top of the heap only past 64 MiB (twice
that threshold: the ratio glibc keeps when it moves the threshold itself). Buffers a step
frees are then reused by the next, whichever thread runs it. Table-sized allocations stay
mapped from the system and are returned when freed.

Only glibc has these settings; elsewhere, and for any setting the environment already
gives glibc (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`), nothing
is changed: on a machine with many cores, where one arena's lock may be contended, set
`MALLOC_ARENA_MAX` to what suits it. Call it before TensorFlow is imported: threads
started earlier keep their arenas.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt's parameter numbers (glibc's malloc.h), each with its environment variable
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
SETTINGS = {
    "MALLOC_ARENA_MAX": (M_ARENA_MAX, 1),
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 32 << 20),
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, 64 << 20),
}


def reuse_freed_memory() -> dict[str, int]:
    """Apply the settings above where glibc takes them; returns those applied, by their
    environment variable's name (empty when the C library is not glibc)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return {}
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    applied = {}
    for name, (parameter, value) in SETTINGS.items():
        if name not in os.environ and mallopt(parameter, value) == 1:  # 1: accepted
            applied[name] = value
    return applied
