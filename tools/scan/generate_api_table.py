"""Regenerate `data/tf_api.json`: every public name of the installed TensorFlow, as reached
through `tensorflow` (TF2) and through `tensorflow.compat.v1`, and the calls whose meaning
changed between the two:

- `keyword_renames`: keywords TF2 renamed or removed (`keep_dims` -> `keepdims`), from the
  upgrade tables TensorFlow ships (`tensorflow/tools/compatibility`), kept where TF 2.21's
  own signature confirms them;
- `reorders`: TF1's positional parameters of functions whose TF2 positions mean something
  else (`softmax_cross_entropy_with_logits(labels, logits)`), likewise;
- `private_modules`: the modules of `tensorflow.python` that still import;
- `package_modules`: the other modules of the installed package outside the API tree
  (`tensorflow.core.protobuf.config_pb2`, `tensorflow.tsl...`, `tensorflow.lite...`), which
  TF2 code imports directly (protocol buffers, converters);
- `tf2_names`: TF1-only names whose object TF2 has under another name;
- `changed_defaults`: parameters whose default differs between `tensorflow` and
  `tensorflow.compat.v1` in TF 2.21 (`random_normal_initializer`'s stddev 1.0 -> 0.05),
  read from both signatures, without the differences that only spell the same default.

The scanner reads the committed table and never imports TensorFlow itself. Run this after
changing the pinned TensorFlow / Keras versions:

    .venv/bin/python -m tf2rec.tools.scan.generate_api_table
"""

from __future__ import annotations

import inspect
import json
import types
from pathlib import Path

from tf2rec.tools.scan.tf_api import LISTED_DEPTH, MODULE_ATTRIBUTES

TABLE = Path(__file__).with_name("data") / "tf_api.json"
_MAX_DEPTH = LISTED_DEPTH - 2  # tf.a (depth 0) ... tf.a.b.c.d.e (depth 4)
# compat would re-enter the other namespace.
_SKIP = {"compat"}
# `tf_api.exists` accepts the attributes every module has below any listed module, so the table
# leaves them out; other dunders (`tf.__version__`, `tf.__internal__`) are TensorFlow's own.
# The folders of the installed package that are not modules of the API tree.
_OUTSIDE_API = {"python", "_api", "include", "xla_aot_runtime_src"}


def _listed(name: str) -> bool:
    """Public names, and dunders other than the ones every module has."""
    if name.startswith("__") and name.endswith("__"):
        return name not in MODULE_ATTRIBUTES
    return not name.startswith("_")


def _walk(obj, prefix: str, depth: int, out: set[str], modules: set[str], seen: dict) -> None:
    """List what `obj` holds below `prefix`; a module met again under another name
    (`tf.compat.v1.flags` is `tf.app.flags`) is noted in `seen["aliases"]`, its listing copied
    later (`_copy_aliases`)."""
    if depth > _MAX_DEPTH:
        return
    if id(obj) in seen:
        seen.setdefault("aliases", []).append((prefix, seen[id(obj)][0], depth))
        return
    # the object is kept with its name: an id is unique only while its object lives, and an
    # attribute may build a new object on each access (the next one could take a freed id)
    seen[id(obj)] = (prefix, obj)
    try:
        names = [n for n in dir(obj) if _listed(n)]
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


def _copy_aliases(aliases: list, names: set[str], modules: set[str]) -> None:
    """Give each public module reached again under another name (`tf.flags`, `tf.x.y`: the
    API's own aliases, not the modules deep inside it) the names it holds under the first."""
    for alias, first, depth in aliases:
        if first not in modules or alias in (first, "tf") or depth > 1:
            continue
        for found in (names, modules):
            for name in [n for n in found if n.startswith(first + ".")]:
                rest = name[len(first) :]
                if rest.count(".") + depth <= _MAX_DEPTH + 1:
                    found.add(alias + rest)


def build() -> dict:
    import keras
    import tensorflow as tf

    table = {"tensorflow": tf.__version__, "keras": keras.__version__}
    for namespace, root in (("v2", tf), ("v1", tf.compat.v1)):
        names: set[str] = set()
        modules: set[str] = {"tf"}
        seen: dict = {}
        _walk(root, "tf", 0, names, modules, seen)
        _copy_aliases(seen.get("aliases", []), names, modules)
        table[namespace] = sorted(names)
        table[f"{namespace}_modules"] = sorted(modules)
    table.update(changes_of_meaning(tf, set(table["v1"]) & set(table["v2"])))
    table["tf2_names"] = tf2_names(tf, set(table["v1"]), set(table["v2"]))
    table["private_modules"] = private_modules(tf)
    table["package_modules"] = package_modules(tf)
    return table


def _importable(name: str) -> bool:
    import importlib
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(name)
    except BaseException:  # noqa: BLE001 - any failure means it does not import
        return False
    return True


def _module_names(root: Path, folder: Path) -> list[str]:
    """`tensorflow.x.y` for each `.py` file under `folder` (tests left out)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path.name.endswith("_test.py"):
            continue
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(parts))
    return found


def package_modules(tf) -> list[str]:
    """The modules outside the API tree and `tensorflow.python` that import on this
    TensorFlow, as `tf.core.protobuf.config_pb2`: TF2 code reads protocol buffers from there."""
    root = Path(tf.__file__).parent
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name in _OUTSIDE_API or folder.name.startswith("__"):
            continue
        for name in _module_names(root, folder):
            if _importable(name):
                found.append("tf" + name[len("tensorflow") :])
    return found


def private_modules(tf) -> list[str]:
    """The modules of `tensorflow.python` that import on this TensorFlow (tests left out),
    as `tf.python.ops.variable_scope`: TF1 code reached into them, and most still work."""
    root = Path(tf.__file__).parent
    names = _module_names(root, root / "python")
    return ["tf" + name[len("tensorflow") :] for name in names if _importable(name)]


def _get(root, name: str):
    obj = root
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def tf2_names(tf, v1: set[str], v2: set[str]) -> dict[str, str]:
    """TF1-only name -> the TF2 name of the very same object (`tf.gfile.GFile` ->
    `tf.io.gfile.GFile`), from TensorFlow's rename table, kept where TF 2.21 confirms that
    both names reach one object (so the behaviour is the same by construction)."""
    from tensorflow.tools.compatibility import renames_v2

    same = {}
    for old, new in sorted(renames_v2.renames.items()):
        if old in v2 or old not in v1 or new not in v2:
            continue
        try:
            if _get(tf.compat.v1, old) is _get(tf, new):
                same[old] = new
        except AttributeError:
            continue
    return same


def _signature(root, name: str) -> inspect.Signature | None:
    obj = root
    try:
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        return inspect.signature(obj)
    except (AttributeError, TypeError, ValueError):
        return None


def _positional(signature: inspect.Signature) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


# Defaults that differ in spelling only. TF2 often writes None for "the usual default";
# TF1 wrote it out (data_format="NHWC", dilations=[1, 1, 1, 1]), or the reverse (keepdims
# None meant False). Where TF1's None meant something TF2 no longer defaults to, it is here.
TF1_NONE_MEANS = {"maxval": "1.0"}  # random_uniform_initializer: [minval, 1.0) for floats
SAME_DEFAULT = {("0", "'bilinear'")}  # tf.image.resize: ResizeMethod.BILINEAR is 0 in TF1


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an array-like default
        return False


def changes_of_meaning(tf, in_both: set[str]) -> dict:
    from tensorflow.tools.compatibility import reorders_v2, tf_upgrade_v2

    spec = tf_upgrade_v2.TFAPIChangeSpec()
    renames = {}
    for name, mapping in sorted(spec.function_keyword_renames.items()):
        signature = _signature(tf, name)
        if signature is None:
            continue  # not in TF2's namespace: its compat.v1 spelling keeps the old keywords
        params = signature.parameters
        kept = {
            old: new
            for old, new in mapping.items()
            if old not in params and (new is None or new in params)
        }
        if kept:
            renames[name] = kept
    reorders = {}
    for name, order in sorted(reorders_v2.reorders.items()):
        signature = _signature(tf, name)
        if signature is None:
            continue
        now = _positional(signature)
        renamed = spec.function_keyword_renames.get(name, {})
        changed = [  # TF1's parameter at a position where TF2 has another
            tf1 if tf1 is not None and (i >= len(now) or now[i] != renamed.get(tf1, tf1)) else None
            for i, tf1 in enumerate(order)
        ]
        if any(changed):
            reorders[name] = {"tf1": changed, "tf2": list(signature.parameters)}
    defaults = {}
    for name in sorted(in_both):
        v1, v2 = _signature(tf.compat.v1, name), _signature(tf, name)
        if v1 is None or v2 is None or v1 == v2:
            continue
        changed = {}
        for param, old in v1.parameters.items():
            new = v2.parameters.get(param)
            if (
                new is None
                or param == "name"
                or inspect.Parameter.empty in (old.default, new.default)
            ):
                continue
            before, after = repr(old.default), repr(new.default)
            if old.default is None:
                before = TF1_NONE_MEANS.get(param)
            elif _equal(old.default, new.default):
                continue  # 0 and 0.0
            if before is None or new.default is None or (before, after) in SAME_DEFAULT:
                continue
            changed[param] = {"tf1": before, "tf2": after}
        if changed:
            defaults[name] = {"params": changed, "positional": _positional(v2)}
    return {"keyword_renames": renames, "reorders": reorders, "changed_defaults": defaults}


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
