"""Parity: the migrated Keras model against the legacy TF1 one, same weights, same batches.

`harness` runs both sides and compares them (its docstring says what each check
guarantees); `legacy_side` is the TF1 half, run in a process of its own; `error_bounds`
holds the floating-point bounds of the checks whose two sides compute differently.

The harness's public names are importable from here too. They load on first use, so that
the legacy process, which imports this package first, does not import TensorFlow 2 and
Keras before switching TF2 behaviour off.
"""

from importlib import import_module

PUBLIC = (
    "DIFFERENT",
    "SAME",
    "Comparison",
    "as_json",
    "compare_bitwise",
    "compare_bounded",
    "compare_top_k",
    "kernel_configuration",
    "run_parity",
    "table",
    "ulp_distance",
)


def __getattr__(name: str):
    if name in PUBLIC:
        return getattr(import_module(f"{__name__}.harness"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
