"""What tf2rec.tf1 provides, read from its source: the scanner never imports TensorFlow, and
the runtime imports it, so its `__all__` lists are parsed, not imported.

`fix --run-as-tf1` moves a TF1 module that TF 2.21 lost (`tf.layers`, `tf.contrib.*`,
`tf.nn.rnn_cell`) onto the runtime only where the runtime has the name; any other name of
those modules is a line the mode cannot convert.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path
from typing import NamedTuple

# the local name a converted file imports the runtime as (`from tf2rec import tf1 as ...`)
ALIAS = "tf1_runtime"
IMPORT = f"from tf2rec import tf1 as {ALIAS}"


class RuntimeModule(NamedTuple):
    tf1: str  # the TF1 module, as the scanner names it (`tf.contrib.layers`)
    attribute: str  # its path below `tf2rec.tf1` as an attribute (`contrib.layers`)
    module: str  # the importable module that holds it
    file: str  # that module's file below src/tf2rec/tf1/
    advice: str  # what to do with a name it lacks


MODULES = (
    RuntimeModule(
        "tf.layers",
        "layers",
        "tf2rec.tf1.layers",
        "layers.py",
        "write it with tf.compat.v1 ops (get_variable and tf.compat.v1.nn)",
    ),
    RuntimeModule(
        "tf.contrib",
        "contrib",
        "tf2rec.tf1.contrib",
        "contrib/__init__.py",
        "TF 2 has no tf.contrib: replace it with tf.compat.v1 ops",
    ),
    RuntimeModule(
        "tf.contrib.layers",
        "contrib.layers",
        "tf2rec.tf1.contrib.layers",
        "contrib/layers.py",
        "write it with tf.compat.v1 ops",
    ),
    RuntimeModule(
        "tf.contrib.rnn",
        "contrib.rnn",
        "tf2rec.tf1.contrib.rnn",
        "contrib/rnn.py",
        "write the cell as a subclass of tf2rec.tf1.nn.rnn_cell.RNNCell",
    ),
    RuntimeModule(
        "tf.contrib.framework",
        "contrib.framework",
        "tf2rec.tf1.contrib.framework",
        "contrib/framework.py",
        "use its tf.compat.v1 equivalent (tf.compat.v1.train, tf.compat.v1.get_collection)",
    ),
    RuntimeModule(
        "tf.nn.rnn_cell",
        "nn.rnn_cell",
        "tf2rec.tf1.rnn_cell_api",
        "rnn_cell_api.py",
        "write the cell as a subclass of tf2rec.tf1.nn.rnn_cell.RNNCell",
    ),
)
_BY_TF1 = {module.tf1: module for module in MODULES}
ROOTS = ("tf.layers", "tf.contrib", "tf.nn.rnn_cell")


def in_runtime_modules(name: str) -> bool:
    """Whether `name` belongs to a TF1 module that the runtime stands in for."""
    return any(name == root or name.startswith(root + ".") for root in ROOTS)


def module_of(name: str) -> RuntimeModule | None:
    """The deepest runtime module at or above `name` (None outside them)."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        found = _BY_TF1.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


def provides(name: str) -> bool:
    """Whether the runtime has `name` (a module, a name in one, or anything below that)."""
    module = module_of(name)
    if module is None:
        return False
    if name == module.tf1:
        return True
    member = name[len(module.tf1) + 1 :].partition(".")[0]
    return member in exported()[module.tf1]


def spelled(name: str) -> str:
    """`tf.contrib.layers.batch_norm` -> `tf1_runtime.contrib.layers.batch_norm`."""
    module = module_of(name)
    return f"{ALIAS}.{module.attribute}{name[len(module.tf1) :]}"


def missing(name: str) -> str:
    """The one line about a name of those modules that the runtime lacks."""
    module = module_of(name) or _BY_TF1["tf.contrib"]
    return f"`{name}` is in neither TF 2.21 nor tf2rec.tf1: {module.advice}"


@cache
def exported() -> dict[str, frozenset[str]]:
    """TF1 module -> the names its runtime module lists in `__all__`."""
    spec = importlib.util.find_spec("tf2rec.tf1")  # imports `tf2rec` only, not the runtime
    root = Path(spec.submodule_search_locations[0])
    return {module.tf1: _all_of(root / module.file) for module in MODULES}


def _all_of(path: Path) -> frozenset[str]:
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets
        ):
            return frozenset(ast.literal_eval(statement.value))
    raise ValueError(f"{path} has no __all__")
