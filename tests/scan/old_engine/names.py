"""Import tracking: which local name means which TensorFlow / Keras name.

Tracked by our own visitor instead of libcst's QualifiedNameProvider, which is several
times slower. Bindings are per file and flow-insensitive (an import anywhere binds the name
everywhere), which is how TF1 scripts use them.
"""

from __future__ import annotations

import libcst as cst

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


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a pure Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


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


class Bindings:
    """Local name -> full dotted name it was imported as."""

    def __init__(self, star=None) -> None:
        self.names: dict[str, str] = {}
        self.origins: dict[str, cst.ImportFrom] = {}  # names bound by `from ... import`
        # star(module, level) -> the TF bindings `from <module> import *` brings from a
        # file of the project (star_imports.star_bindings for the file being scanned)
        self.star = star

    def add_import(self, node: cst.Import) -> list[str]:
        """Record `import a.b [as c]`; returns the full module names imported."""
        modules = []
        for alias in node.names:
            full = dotted(alias.name)
            if full is None or full.partition(".")[0] not in ROOTS:
                continue
            modules.append(full)
            if alias.asname is not None:
                self.names[alias.asname.name.value] = full
            else:
                root = full.partition(".")[0]
                self.names[root] = root
        return modules

    def add_import_from(self, node: cst.ImportFrom) -> list[str]:
        """Record `from a.b import c [as d]`; returns the full names imported."""
        module = dotted(node.module) if node.module is not None else None
        local_module = node.relative or module is None or module.partition(".")[0] not in ROOTS
        if isinstance(node.names, cst.ImportStar) and local_module and self.star is not None:
            self.names.update(self.star(module, len(node.relative)))
            return []
        if node.relative or node.module is None:
            return []
        if module is None or module.partition(".")[0] not in ROOTS:
            return []
        if isinstance(node.names, cst.ImportStar):
            return [module]
        imported = []
        for alias in node.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name)
            full = f"{module}.{name}"
            local = alias.asname.name.value if alias.asname is not None else name
            self.names[local] = full
            self.origins[local] = node
            imported.append(full)
        return imported

    def resolve(self, text: str) -> str | None:
        """`tf.train.Saver` -> `tensorflow.compat.v1.train.Saver` when `tf` is bound so."""
        head, dot, rest = text.partition(".")
        full = self.names.get(head)
        if full is None:
            return None
        return full + dot + rest


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    """The `name=` argument of a call, if it has one."""
    return next(
        (arg for arg in call.args if arg.keyword is not None and arg.keyword.value == name),
        None,
    )
