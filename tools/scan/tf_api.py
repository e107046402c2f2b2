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


@lru_cache(maxsize=65536)
def exists(name: str, namespace: str) -> bool:
    """Whether `tf.a.b` can be reached in `namespace` ("v2": `tensorflow`, "v1": compat.v1).

    A name below a listed class or function (a method, say) exists when that parent does; a
    name missing from a listed module does not.
    """
    names, modules = _namespace(namespace)
    if name in names:
        return True
    parts = name.split(".")
    for depth in range(len(parts) - 1, 1, -1):
        prefix = ".".join(parts[:depth])
        if prefix in names:
            return prefix not in modules
    return False
