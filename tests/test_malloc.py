"""The C allocator's settings for training processes (`tf2rec.malloc`), each checked in a
fresh process: they change the process for good."""

import os
import platform
import resource

import pytest

from tests.processes import last_json, run_program

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

BUFFER = 12 << 20  # a step's gathered rows at 10,000 items are 7.6 MB, XLA's memory 15-20


def program(reuse: bool) -> str:
    """Threads started one after another each allocate, write and free a buffer, as the
    step's threads do; the program prints the page faults after the first buffer."""
    return f"""
    import ctypes, json, resource, threading
    from tf2rec.malloc import reuse_freed_memory
    applied = {"reuse_freed_memory()" if reuse else "{}"}
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]

    def step():
        buffer = libc.malloc({BUFFER})
        ctypes.memset(buffer, 1, {BUFFER})
        libc.free(buffer)

    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(40):
        thread = threading.Thread(target=step)
        thread.start()
        thread.join()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(json.dumps({{"faults": faults, "applied": applied}}))
"""


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    return {**env, **extra}


def faults(tmp_path, reuse: bool, env) -> dict:
    return last_json(run_program(program(reuse), tmp_path, env=env))


def test_freed_buffers_are_reused_by_the_next_thread(tmp_path):
    pages = BUFFER // resource.getpagesize()
    reused = faults(tmp_path, True, clean_env())
    assert reused["applied"] == {
        "MALLOC_ARENA_MAX": 1,
        "MALLOC_MMAP_THRESHOLD_": 32 << 20,
        "MALLOC_TRIM_THRESHOLD_": 64 << 20,
    }
    # 40 buffers written without a buffer's worth of new pages: each reuses the last
    assert reused["faults"] < pages
    # glibc's defaults: threads' buffers are new pages, a buffer's worth and more
    assert faults(tmp_path, False, clean_env())["faults"] > pages


def test_settings_the_environment_gives_are_left_alone(tmp_path):
    applied = faults(tmp_path, True, clean_env(MALLOC_ARENA_MAX="4"))["applied"]
    assert sorted(applied) == ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"]
