"""Regenerate `data/tf_api.json`: every public name of the installed TensorFlow, as reached
through `tensorflow` (TF2) and through `tensorflow.compat.v1`.

The scanner reads the committed table and never imports TensorFlow itself. Run this after
changing the pinned TensorFlow / Keras versions:

    .venv/bin/python -m tf2rec.tools.scan.generate_api_table
"""

from __future__ import annotations

import json
import types
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "tf_api.json"
_MAX_DEPTH = 4
# compat would re-enter the other namespace; raw_ops are never called by user code.
_SKIP = {"compat", "raw_ops"}


def _walk(obj, prefix: str, depth: int, out: set[str], modules: set[str], seen: set[int]) -> None:
    if depth > _MAX_DEPTH or id(obj) in seen:
        return
    seen.add(id(obj))
    try:
        names = [n for n in dir(obj) if not n.startswith("_")]
    except Exception:  # a lazy loader that cannot load (a missing optional package)
        return
    for name in names:
        if name in _SKIP:
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # e.g. "`dense` is not available with Keras 3."
            continue
        dotted = f"{prefix}.{name}"
        out.add(dotted)
        if isinstance(value, types.ModuleType) or type(value).__name__.endswith("LazyLoader"):
            modules.add(dotted)
            _walk(value, dotted, depth + 1, out, modules, seen)


def build() -> dict:
    import keras
    import tensorflow as tf

    table = {"tensorflow": tf.__version__, "keras": keras.__version__}
    for namespace, root in (("v2", tf), ("v1", tf.compat.v1)):
        names: set[str] = set()
        modules: set[str] = {"tf"}
        _walk(root, "tf", 0, names, modules, set())
        table[namespace] = sorted(names)
        table[f"{namespace}_modules"] = sorted(modules)
    return table


def main() -> None:
    table = build()
    TABLE.parent.mkdir(exist_ok=True)
    TABLE.write_text(json.dumps(table, indent=0) + "\n")
    print(
        f"{TABLE}: {len(table['v2'])} TF2 names, {len(table['v1'])} compat.v1 names "
        f"(TensorFlow {table['tensorflow']}, Keras {table['keras']})"
    )


if __name__ == "__main__":
    main()
