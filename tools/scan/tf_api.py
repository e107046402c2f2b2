"""Which TensorFlow names exist in TF 2.21, through `tensorflow` and `tensorflow.compat.v1`,
and the calls whose meaning changed between the two.

Read from `data/tf_api.json` (written by `generate_api_table.py` from the installed
TensorFlow); the scanner itself never imports TensorFlow.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "tf_api.json"
# The deepest modules whose contents the table lists (`tf.a.b.c.d.e`, `generate_api_table`
# walks that far); below them a name is unknown, not missing.
LISTED_DEPTH = 6
# Python's data model gives every module these; the table lists only TensorFlow's own dunders.
MODULE_ATTRIBUTES = frozenset(
    {"__builtins__", "__cached__", "__doc__", "__file__", "__loader__", "__name__",
     "__package__", "__path__", "__spec__", "__dict__", "__all__"}
)  # fmt: skip


@cache
def _table() -> dict:
    return json.loads(TABLE.read_text())


@cache
def _namespace(namespace: str) -> tuple[frozenset[str], frozenset[str]]:
    """(every listed name, the names that are modules)."""
    table = _table()
    return frozenset(table[namespace]), frozenset(table[f"{namespace}_modules"])


def private_module_imports(module: str) -> bool:
    """Whether `tf.python.<...>` (or the module holding that name) imports on TF 2.21."""
    modules = _private_modules()
    return module in modules or module.rpartition(".")[0] in modules


@cache
def _private_modules() -> frozenset[str]:
    return frozenset(_table()["private_modules"])


@cache
def _package_modules() -> tuple[frozenset[str], frozenset[str]]:
    """(the modules outside the API tree that import, those of them that are packages)."""
    modules = frozenset(_table()["package_modules"])
    return modules, frozenset(name.rpartition(".")[0] for name in modules)


def _in_package_module(name: str) -> bool:
    """Whether `name` is a module outside the API tree that imports on TF 2.21, or is held by
    one that is not a package (`tf.core.protobuf.config_pb2.ConfigProto`: what a protocol
    buffer module holds is not listed)."""
    modules, packages = _package_modules()
    if name in modules:
        return True
    parts = name.split(".")
    for depth in range(len(parts) - 1, 1, -1):
        prefix = ".".join(parts[:depth])
        if prefix in modules:
            return prefix not in packages
    return False


@cache
def star_names(namespace: str) -> frozenset[str]:
    """The public names `from tensorflow import *` binds (`v2`), or `from
    tensorflow.compat.v1 import *` (`v1`): TensorFlow's top level, which sets no `__all__`."""
    names, _ = _namespace(namespace)
    return frozenset(n[3:] for n in names if n.count(".") == 1 and not n[3:].startswith("_"))


def tf2_name(name: str) -> str | None:
    """The TF2 name of the same object as the TF1-only `name` (`tf.gfile.GFile` ->
    `tf.io.gfile.GFile`), if TF2 has one."""
    return _table()["tf2_names"].get(name)


def keyword_renames(name: str) -> dict[str, str | None]:
    """TF1 keyword -> its TF2 name (None: removed) for `name` reached through `tensorflow`."""
    return _table()["keyword_renames"].get(name, {})


def reorder(name: str) -> dict | None:
    """{"tf1": TF1's parameter at each position where TF2 has another, else None,
    "tf2": TF2's parameters}, for functions whose positions changed meaning."""
    return _table()["reorders"].get(name)


def changed_defaults(name: str) -> dict | None:
    """{"params": {param: {"tf1": default, "tf2": default}}, "positional": TF2's positional
    parameters}, for functions whose defaults differ between TF1 and TF2."""
    return _table()["changed_defaults"].get(name)


def listed_deep_enough(name: str, namespace: str) -> bool:
    """Whether the table can tell that `name` is missing: the deepest listed module above it
    had its contents listed (the table walks modules `LISTED_DEPTH` names deep)."""
    _, modules = _namespace(namespace)
    parts = name.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:depth])
        if prefix in modules:
            return depth < LISTED_DEPTH
    return False


@lru_cache(maxsize=65536)
def exists(name: str, namespace: str) -> bool:
    """Whether `tf.a.b` can be reached in `namespace` ("v2": `tensorflow`, "v1": compat.v1).

    A name below a listed class or function (a method, say) exists when that parent does; a
    name missing from a listed module does not. The attributes every module has exist below
    every module, and anything below a module outside the API tree (`tensorflow.core`) exists
    when that module imports.
    """
    names, modules = _namespace(namespace)
    if name in names:
        return True
    parent, _, last = name.rpartition(".")
    if last in MODULE_ATTRIBUTES and (parent == "tf" or parent in modules):
        return True  # `tf.__file__`, `tf.nn.__name__`: every module has them
    if namespace == "v2" and _in_package_module(name):
        return True
    parts = name.split(".")
    for depth in range(len(parts) - 1, 1, -1):
        prefix = ".".join(parts[:depth])
        if prefix in names:
            return prefix not in modules
    return False
