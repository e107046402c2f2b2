"""Import tracking: which local name means which TensorFlow / Keras name.

Bindings are per file and follow the walk: an import binds its names for everything seen
after it, which is how TF1 scripts use them (imports at the top).
"""

from __future__ import annotations

import ast
from functools import lru_cache

ROOTS = ("tensorflow", "keras")

# Private modules whose public names TF1 code reached through them (`from
# tensorflow.python.ops import variable_scope as vs; vs.variable_scope(...)`): their members
# are reported as the public compat.v1 names they implement.
PRIVATE_MODULES = {
    "tensorflow.python.ops.variable_scope": "tensorflow.compat.v1",
    "tensorflow.python.ops.variables": "tensorflow.compat.v1",
    "tensorflow.python.ops.array_ops": "tensorflow.compat.v1",
    "tensorflow.python.ops.math_ops": "tensorflow.compat.v1",
    "tensorflow.python.ops.init_ops": "tensorflow.compat.v1",
    "tensorflow.python.framework.ops": "tensorflow.compat.v1",
    "tensorflow.python.client.session": "tensorflow.compat.v1",
    "tensorflow.python.training.training": "tensorflow.compat.v1.train",
    "tensorflow.python.training.saver": "tensorflow.compat.v1.train",
    "tensorflow.python.training.optimizer": "tensorflow.compat.v1.train",
}


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a pure Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


@lru_cache(maxsize=65536)
def canonical(full: str) -> tuple[str, str] | None:
    """`tensorflow.compat.v1.train.Saver` -> ("tf.train.Saver", "v1"), `keras.x` -> keras.

    Returns (name, namespace) with namespace "v1" (compat.v1), "v2" (plain tensorflow) or
    "keras"; None for anything else.
    """
    for private, public in PRIVATE_MODULES.items():
        if full.startswith(private + "."):
            full = public + full[len(private) :]
            break
    head, _, rest = full.partition(".")
    if head == "keras":
        return full, "keras"
    if head != "tensorflow":
        return None
    for prefix, namespace in (("compat.v1", "v1"), ("compat.v2", "v2")):
        if rest == prefix or rest.startswith(prefix + "."):
            tail = rest[len(prefix) + 1 :]
            return ("tf." + tail if tail else "tf"), namespace
    return ("tf." + rest if rest else "tf"), "v2"


def is_star(node: ast.ImportFrom) -> bool:
    return node.names[0].name == "*"


class Bindings:
    """Local name -> full dotted name it was imported as."""

    def __init__(self, star=None) -> None:
        self.names: dict[str, str] = {}
        self.origins: dict[str, ast.ImportFrom] = {}  # names bound by `from ... import`
        # star(module, level) -> the TF bindings `from <module> import *` brings from a
        # file of the project (star_imports.star_bindings for the file being scanned)
        self.star = star

    def add_import(self, node: ast.Import) -> list[str]:
        """Record `import a.b [as c]`; returns the full module names imported."""
        modules = []
        for alias in node.names:
            root = alias.name.partition(".")[0]
            if root not in ROOTS:
                continue
            modules.append(alias.name)
            if alias.asname is not None:
                self.names[alias.asname] = alias.name
            else:
                self.names[root] = root
        return modules

    def add_import_from(self, node: ast.ImportFrom) -> list[str]:
        """Record `from a.b import c [as d]`; returns the full names imported."""
        module = node.module
        local_module = node.level or module is None or module.partition(".")[0] not in ROOTS
        if is_star(node) and local_module and self.star is not None:
            self.names.update(self.star(module, node.level))
            return []
        if local_module:
            return []
        if is_star(node):
            self._bind_star(module)
            return [module]
        imported = []
        for alias in node.names:
            full = f"{module}.{alias.name}"
            local = alias.asname or alias.name
            self.names[local] = full
            self.origins[local] = node
            imported.append(full)
        return imported

    def _bind_star(self, module: str) -> None:
        """`from tensorflow import *` in TF1 code bound TF1's top level (`placeholder`,
        `Session`): each name either namespace has is bound, through the module the file
        names, so that one TF 2.21 lacks is reported as such. Other modules: nothing."""
        from tf2rec.tools.scan import tf_api

        if module == "tensorflow":
            public = tf_api.star_names("v1") | tf_api.star_names("v2")
        elif module in ("tensorflow.compat.v1", "tensorflow.compat.v2"):
            public = tf_api.star_names(module[-2:])
        else:
            return
        self.names.update((name, f"{module}.{name}") for name in public)

    def resolve(self, text: str) -> str | None:
        """`tf.train.Saver` -> `tensorflow.compat.v1.train.Saver` when `tf` is bound so."""
        head, dot, rest = text.partition(".")
        full = self.names.get(head)
        if full is None:
            return None
        return full + dot + rest


def keyword_arg(call: ast.Call, name: str) -> ast.keyword | None:
    """The `name=` argument of a call, if it has one."""
    return next((k for k in call.keywords if k.arg == name), None)


def positional(call: ast.Call) -> list[ast.expr]:
    """The call's positional arguments, `*args` left out."""
    return [a for a in call.args if not isinstance(a, ast.Starred)]


def has_star(call: ast.Call) -> bool:
    """Whether the call passes `*args` or `**kwargs`."""
    return any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    )


def arguments(call: ast.Call) -> list[ast.expr | ast.keyword]:
    """Every argument in source order, as libcst's `Call.args` holds them."""
    items = [*call.args, *call.keywords]
    if call.keywords and call.args and _before(call.keywords[0], call.args[-1]):
        items.sort(key=lambda a: (a.lineno, a.col_offset))  # `f(a=1, *rest)`
    return items


def _before(a: ast.AST, b: ast.AST) -> bool:
    return (a.lineno, a.col_offset) < (b.lineno, b.col_offset)
