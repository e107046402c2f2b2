"""`from utils import *` where `utils.py` is a file of the scanned project that imports
TensorFlow: the names it binds (`tf`, say) are bound in the importing file too.

TF1 projects often kept `import tensorflow as tf` and helpers in one module that every
model file star-imported; without this, those files look TensorFlow-free. A module is read
with CPython's `ast` (its import statements only) and found the way Python would find it
from the importing file: relative to its package for `from .utils import *`, else in the
file's own folder or one above it (a project root on the path).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tf2rec.tools.scan.names import ROOTS

_SEARCH_DEPTH = 8  # folders above the importing file tried for an absolute import


def star_bindings(importing: str, module: str | None, level: int) -> dict[str, str]:
    """Local name -> full TensorFlow / Keras name that `from <module> import *` (with
    `level` leading dots) binds in the file at `importing`; empty when not found."""
    found = _locate(Path(importing).resolve(), module or "", level)
    return dict(_exported(found, frozenset())) if found else {}


def _locate(importing: Path, module: str, level: int) -> Path | None:
    parts = [p for p in module.split(".") if p]
    if level:
        bases = [importing.parents[level - 1]] if level <= len(importing.parents) else []
    else:
        bases = list(importing.parents)[:_SEARCH_DEPTH]
    for base in bases:
        target = base.joinpath(*parts)
        for candidate in (target.with_suffix(".py"), target / "__init__.py"):
            if parts and candidate.is_file():
                return candidate
        if not parts and (base / "__init__.py").is_file():
            return base / "__init__.py"
    return None


@cache
def _exported(path: Path, seen: frozenset[Path]) -> tuple[tuple[str, str], ...]:
    """The TensorFlow / Keras bindings a star import of `path` gives (its public names,
    or those in a literal `__all__`), its own star imports followed."""
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return ()  # that file's own scan reports it
    names: dict[str, str] = {}
    public: set[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.partition(".")[0] in ROOTS:
                    local = alias.asname or alias.name.partition(".")[0]
                    names[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.names[0].name == "*":
                if path not in seen:
                    inner = _locate(path, module, node.level)
                    if inner is not None:
                        names.update(_exported(inner, seen | {path}))
            elif not node.level and module.partition(".")[0] in ROOTS:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                public = set(ast.literal_eval(node.value))
            except ValueError:
                public = None
    return tuple(
        (local, full)
        for local, full in names.items()
        if (local in public if public is not None else not local.startswith("_"))
    )
