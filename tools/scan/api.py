"""Which TensorFlow names exist in TF 2.21, through `tensorflow` and `tensorflow.compat.v1`.

Read from `data/tf_api.json` (written by `generate_api_table.py` from the installed
TensorFlow); the scanner itself never imports TensorFlow.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "tf_api.json"


@cache
def _namespace(namespace: str) -> tuple[frozenset[str], frozenset[str]]:
    """(every listed name, the names that are modules)."""
    table = json.loads(TABLE.read_text())
    return frozenset(table[namespace]), frozenset(table[f"{namespace}_modules"])


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
