"""Parity: a Keras 3 rewrite against the TF1 model it replaces, same weights, same batches.

`pair` says what a pair is (the legacy `build`, the migrated `make`, the batches);
`harness.run_pair` runs both sides and checks them (`legacy_side` is the TF1 half, run in a
process of its own); `compare` holds the three kinds of check, `error_bounds` the bounds of
the checks whose two sides compute differently, `causes` what usually makes a check fail,
`report` the table and JSON, `kernels` the kernel configurations the TF1 side is rerun
under for a jit-compiled model's kernel envelope; `float64_graph` rewrites the legacy
graph for float64 mode; `fast_path` proves a jit-compiled model (float64 equivalence and
float32 rounding no worse than the legacy model's); `two_tower` is this project's own
pair; `pytest_plugin` makes the harness a pytest fixture.

The public names are importable from here too. They load on first use, so that the legacy
process, which imports this package first, does not import TensorFlow 2 and Keras before
switching TF2 behaviour off.
"""

from importlib import import_module

PUBLIC = {
    "DIFFERENT": "compare",
    "FLOAT64": "compare",
    "MODES": "harness",
    "compare_float64": "compare",
    "SAME": "compare",
    "Comparison": "compare",
    "compare_bitwise": "compare",
    "compare_bounded": "compare",
    "ulp_distance": "compare",
    "run_pair": "harness",
    "run_parity": "two_tower",
    "as_json": "report",
    "first_failure": "report",
    "kernel_configuration": "report",
    "table": "report",
}


def __getattr__(name: str):
    if name in PUBLIC:
        return getattr(import_module(f"{__name__}.{PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
