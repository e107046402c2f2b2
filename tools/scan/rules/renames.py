"""TF1 names with a safe automatic fix: TF2 renames, and compat.v1 for the rest."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from tf2rec.tools.scan import tf_api
from tf2rec.tools.scan.names import dotted
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid

if TYPE_CHECKING:
    import libcst as cst

# TF1 name -> TF2 name with the same behaviour and signature.
RENAMES = {
    "tf.log": "tf.math.log",
    "tf.log1p": "tf.math.log1p",
    "tf.rsqrt": "tf.math.rsqrt",
    "tf.squared_difference": "tf.math.squared_difference",
    "tf.is_nan": "tf.math.is_nan",
    "tf.is_inf": "tf.math.is_inf",
    "tf.is_finite": "tf.math.is_finite",
    "tf.floordiv": "tf.math.floordiv",
    "tf.check_numerics": "tf.debugging.check_numerics",
    "tf.random_normal": "tf.random.normal",
    "tf.random_uniform": "tf.random.uniform",
    "tf.truncated_normal": "tf.random.truncated_normal",
    "tf.random_shuffle": "tf.random.shuffle",
    "tf.matrix_transpose": "tf.linalg.matrix_transpose",
    "tf.matrix_inverse": "tf.linalg.inv",
}
# tf.to_<type>(x) -> tf.cast(x, tf.<dtype>)
CASTS = {
    "tf.to_float": "float32",
    "tf.to_double": "float64",
    "tf.to_int32": "int32",
    "tf.to_int64": "int64",
    "tf.to_bfloat16": "bfloat16",
}

# tf.gfile.X -> (its tf.io.gfile function, TF1 parameter -> TF2 parameter). TF 2.21's
# `tf.compat.v1.gfile.X` calls that function with its own arguments in the same order
# (`Copy(oldpath, newpath, overwrite)` is `copy(src, dst, overwrite)`), so a call means the
# same once its keywords are renamed; `FastGFile` and `Open` take GFile's `(name, mode)`.
GFILE = {
    "tf.gfile.Copy": ("copy", {"oldpath": "src", "newpath": "dst"}),
    "tf.gfile.DeleteRecursively": ("rmtree", {"dirname": "path"}),
    "tf.gfile.Exists": ("exists", {"filename": "path"}),
    "tf.gfile.FastGFile": ("GFile", {}),
    "tf.gfile.GFile": ("GFile", {}),
    "tf.gfile.Glob": ("glob", {"filename": "pattern"}),
    "tf.gfile.IsDirectory": ("isdir", {"dirname": "path"}),
    "tf.gfile.ListDirectory": ("listdir", {"dirname": "path"}),
    "tf.gfile.MakeDirs": ("makedirs", {"dirname": "path"}),
    "tf.gfile.MkDir": ("mkdir", {"dirname": "path"}),
    "tf.gfile.Open": ("GFile", {}),
    "tf.gfile.Remove": ("remove", {"filename": "path"}),
    "tf.gfile.Rename": ("rename", {"oldname": "src", "newname": "dst"}),
    "tf.gfile.Stat": ("stat", {"filename": "path"}),
    "tf.gfile.Walk": ("walk", {"in_order": "topdown"}),
}


def _alias(ctx, node: ast.expr) -> str | None:
    """The local name bound to `tensorflow` that `node`'s chain starts with, if any."""
    text = dotted(node)
    head = text.partition(".")[0] if text else None
    return head if head and ctx.bindings.names.get(head) == "tensorflow" else None


class RenamedApiRule(Rule):
    """Finds TF1 names that TF2 removed while keeping the same function under another name
    (`tf.log` is `tf.math.log`, `tf.random_normal` is `tf.random.normal`), and the
    `tf.to_<type>` casts (`tf.to_float(x)` is `tf.cast(x, tf.float32)`). Through
    `tensorflow` on TF 2.21 the old name is an AttributeError; `tf2rec fix` writes the new
    one, keeping the file's alias."""

    id = "TF802"
    name = "renamed-api"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` was renamed in TF2"
    replacement = "the TF2 name (`tf2rec fix` rewrites it)"
    RENAMES = RENAMES
    CASTS = CASTS
    names = frozenset(RENAMES) | frozenset(CASTS)
    fix_safety = (
        "Each TF2 name is the same function under its new name (`tf.math.log` is what `tf.log` "
        "was), and `tf.cast(x, tf.float32)` computes what `tf.to_float(x)` did, a `name=` kept. "
        "A cast called with other arguments, or a name reached through a from-import, is "
        "reported and left to you."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            y = tf.math.log(x)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            y = tf.log(x) + tf.to_float(tf.log1p(x))
            """,
            [
                Expect(2, 5, "`tf.log` was renamed in TF2; use `tf.math.log`"),
                Expect(2, 17, "`tf.to_float` was removed in TF2; use `tf.cast(x, tf.float32)`"),
                Expect(2, 29, "`tf.log1p` was renamed in TF2; use `tf.math.log1p`"),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.math.log(x) + tf.cast(tf.math.log1p(x), tf.float32)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            y = tf.log(x)
            """,
            [
                Expect(2, 5, "`tf.log` was renamed in TF2; use `tf.math.log`"),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.math.log(x)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            y = tf.to_float(x)
            """,
            [
                Expect(2, 5, "`tf.to_float` was removed in TF2; use `tf.cast(x, tf.float32)`"),
            ],
            fixed="""
            import tensorflow as tf
            y = tf.cast(x, tf.float32)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow
            correct = tflow.equal(tflow.argmax(logits, 1), labels)
            accuracy = tflow.reduce_mean(tflow.to_float(correct))
            """,
            [
                Expect(3, 30, "`tf.to_float` was removed in TF2; use `tf.cast(x, tf.float32)`"),
            ],
            fixed="""
            import tensorflow as tflow
            correct = tflow.equal(tflow.argmax(logits, 1), labels)
            accuracy = tflow.reduce_mean(tflow.cast(correct, tflow.float32))
            """,
        ),
    ]

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace != "v2" or name not in self.RENAMES:
            return
        target = self.RENAMES[name]
        alias = _alias(ctx, node)
        ctx.report(
            self,
            node,
            name=name,
            fix=alias + target[2:] if alias is not None else None,
            message=self.message.format(name=name) + f"; use `{target}`",
        )

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is None or resolved[1] != "v2" or resolved[0] not in self.CASTS:
            return
        name = resolved[0]
        alias = _alias(ctx, node.func)
        fix = None
        if (
            alias is not None
            and len(node.args) == 1
            and not isinstance(node.args[0], ast.Starred)
            and all(k.arg == "name" for k in node.keywords)
        ):
            dtype = CASTS[name]

            def fix(updated: cst.Call) -> cst.Call:
                import libcst as cst

                value, *rest = updated.args
                dtype_arg = cst.Arg(cst.parse_expression(f"{alias}.{dtype}"))
                args = [value.with_changes(comma=cst.MaybeSentinel.DEFAULT), dtype_arg, *rest]
                return updated.with_changes(
                    func=cst.parse_expression(f"{alias}.cast"), args=_commas(args)
                )

        ctx.report(
            self,
            node,
            name=name,
            message=f"`{name}` was removed in TF2; use `tf.cast(x, tf.{CASTS[name]})`",
            fix=fix,
        )


def _commas(args: list[cst.Arg]) -> list[cst.Arg]:
    import libcst as cst

    return [
        a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if i < len(args) - 1
        else a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        for i, a in enumerate(args)
    ]


class Tf1OnlyNameRule(Rule):
    """A TF1 name that TF 2.21 keeps only under `tf.compat.v1`, and that no other rule
    covers. Where TF2 has the very same object under another name (`tf.gfile.GFile` is
    `tf.io.gfile.GFile`), that name is the fix; otherwise `tf.compat.v1.<name>` makes the
    file run on TF 2.21 unchanged in meaning, a first step before the real migration.
    `tf2rec fix` writes either, keeping the file's alias. Each `tf.gfile` function has a
    lower-case `tf.io.gfile` one (`tf.gfile.Glob` is `tf.io.gfile.glob`) whose parameters
    TF2 renamed (`filename` is `pattern`): a call is rewritten with its keywords renamed."""

    id = "TF801"
    name = "tf1-only-name"
    severity = Severity.ERROR
    message = "`{name}` exists only in tf.compat.v1"
    replacement = "its TF2 name, else `tf.compat.v1.<name>` (`tf2rec fix` rewrites it)"
    fix_safety = (
        "Either spelling names the object the file used: TF2's own name where TF 2.21 has it "
        "under another one (`tf.io.gfile.GFile`), `tf.compat.v1.<name>` otherwise, the file's "
        "alias kept; `from tensorflow import x` becomes `from tensorflow.compat.v1 import x`. "
        "TF 2.21's `tf.compat.v1.gfile.Copy` (and every other `tf.gfile` function) only calls "
        "its `tf.io.gfile` function with the same arguments in the same order, so a call "
        "rewritten with TF2's keyword names does what it did. A `tf.gfile` function that is "
        "not called, or called with `**options`, keeps TF1's parameter names through "
        "`tf.compat.v1.gfile`: a caller may still pass `filename=`."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            x = tf.compat.v1.sparse_to_dense(i, s, v)
            """
        ),
        Valid(
            """
            import tensorflow as tf
            f = tf.io.gfile.GFile(path)
            """
        ),
        Valid(
            """
            from tensorflow.compat.v1 import gfile
            f = gfile.GFile(path)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tflow
            x = tflow.sparse_to_dense(i, s, v)
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.sparse_to_dense` exists only in tf.compat.v1 "
                    "(`tf.sparse_to_dense` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow
            x = tflow.compat.v1.sparse_to_dense(i, s, v)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            f = tf.gfile.GFile(path)
            spec = {'id': tf.FixedLenFeature([], tf.int64)}
            """,
            [
                Expect(2, 5, "`tf.gfile.GFile` is `tf.io.gfile.GFile` in TF2 (the same object)"),
                Expect(
                    3,
                    15,
                    "`tf.FixedLenFeature` is `tf.io.FixedLenFeature` in TF2 (the same object)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            f = tf.io.gfile.GFile(path)
            spec = {'id': tf.io.FixedLenFeature([], tf.int64)}
            """,
        ),
        Invalid(
            """
            from tensorflow import gfile
            f = gfile.GFile(path)
            """,
            [
                Expect(
                    1,
                    1,
                    "`tf.gfile` exists only in tf.compat.v1: this import fails on TF 2.21",
                ),
                Expect(2, 5, "`tf.gfile.GFile` is `tf.io.gfile.GFile` in TF2 (the same object)"),
            ],
            fixed="""
            from tensorflow.compat.v1 import gfile
            f = gfile.GFile(path)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            x = tf.sparse_to_dense(i, s, v)
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.sparse_to_dense` exists only in tf.compat.v1 "
                    "(`tf.sparse_to_dense` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            x = tf.compat.v1.sparse_to_dense(i, s, v)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            f = tf.gfile.GFile(path)
            """,
            [
                Expect(2, 5, "`tf.gfile.GFile` is `tf.io.gfile.GFile` in TF2 (the same object)"),
            ],
            fixed="""
            import tensorflow as tf
            f = tf.io.gfile.GFile(path)
            """,
        ),
        Invalid(
            """
            from tensorflow import gfile
            """,
            [
                Expect(
                    1,
                    1,
                    "`tf.gfile` exists only in tf.compat.v1: this import fails on TF 2.21",
                ),
            ],
            fixed="""
            from tensorflow.compat.v1 import gfile
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            FLAGS = tf.app.flags.FLAGS


            def prepare_dirs():
                if tf.gfile.Exists(FLAGS.model_dir):
                    tf.gfile.DeleteRecursively(FLAGS.model_dir)
                tf.gfile.MakeDirs(FLAGS.model_dir)
                tf.gfile.Copy(FLAGS.vocab_file, FLAGS.model_dir + '/vocab.txt',
                              overwrite=True)
                return tf.gfile.Glob(FLAGS.train_dir + '/part-*')
            """,
            [
                Expect(
                    7,
                    8,
                    "`tf.gfile.Exists` is `tf.io.gfile.exists` in TF2 (`filename=` is `path=`)",
                ),
                Expect(
                    8,
                    9,
                    "`tf.gfile.DeleteRecursively` is `tf.io.gfile.rmtree` in TF2 (`dirname=` is "
                    "`path=`)",
                ),
                Expect(
                    9,
                    5,
                    "`tf.gfile.MakeDirs` is `tf.io.gfile.makedirs` in TF2 (`dirname=` is `path=`)",
                ),
                Expect(
                    10,
                    5,
                    "`tf.gfile.Copy` is `tf.io.gfile.copy` in TF2 (`oldpath=` is `src=`; "
                    "`newpath=` is `dst=`)",
                ),
                Expect(
                    12,
                    12,
                    "`tf.gfile.Glob` is `tf.io.gfile.glob` in TF2 (`filename=` is `pattern=`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            FLAGS = tf.app.flags.FLAGS


            def prepare_dirs():
                if tf.io.gfile.exists(FLAGS.model_dir):
                    tf.io.gfile.rmtree(FLAGS.model_dir)
                tf.io.gfile.makedirs(FLAGS.model_dir)
                tf.io.gfile.copy(FLAGS.vocab_file, FLAGS.model_dir + '/vocab.txt',
                              overwrite=True)
                return tf.io.gfile.glob(FLAGS.train_dir + '/part-*')
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow
            for name in tflow.gfile.ListDirectory(ckpt_dir):
                if tflow.gfile.IsDirectory(name): continue
                tflow.gfile.Rename(oldname=name, newname=name + '.bak', overwrite=True)
            with tflow.gfile.FastGFile(graph_path, 'rb') as f:
                graph_def.ParseFromString(f.read())
            """,
            [
                Expect(
                    2,
                    13,
                    "`tf.gfile.ListDirectory` is `tf.io.gfile.listdir` in TF2 (`dirname=` is "
                    "`path=`)",
                ),
                Expect(
                    3,
                    8,
                    "`tf.gfile.IsDirectory` is `tf.io.gfile.isdir` in TF2 (`dirname=` is `path=`)",
                ),
                Expect(
                    4,
                    5,
                    "`tf.gfile.Rename` is `tf.io.gfile.rename` in TF2 (`oldname=` is `src=`; "
                    "`newname=` is `dst=`)",
                ),
                Expect(5, 6, "`tf.gfile.FastGFile` is `tf.io.gfile.GFile` in TF2"),
            ],
            fixed="""
            import tensorflow as tflow
            for name in tflow.io.gfile.listdir(ckpt_dir):
                if tflow.io.gfile.isdir(name): continue
                tflow.io.gfile.rename(src=name, dst=name + '.bak', overwrite=True)
            with tflow.io.gfile.GFile(graph_path, 'rb') as f:
                graph_def.ParseFromString(f.read())
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            exists = tf.gfile.Exists
            for root, dirs, files in tf.gfile.Walk(log_dir, in_order=False):
                tf.gfile.Remove(**{'filename': root + '/events.out'})
            opener = tf.gfile.Open
            """,
            [
                Expect(
                    2,
                    10,
                    "`tf.gfile.Exists` is `tf.io.gfile.exists` in TF2 (`filename=` is `path=`)",
                ),
                Expect(
                    3,
                    26,
                    "`tf.gfile.Walk` is `tf.io.gfile.walk` in TF2 (`in_order=` is `topdown=`)",
                ),
                Expect(
                    4,
                    5,
                    "`tf.gfile.Remove` is `tf.io.gfile.remove` in TF2 (`filename=` is `path=`)",
                ),
                Expect(5, 10, "`tf.gfile.Open` is `tf.io.gfile.GFile` in TF2 (the same object)"),
            ],
            fixed="""
            import tensorflow as tf
            exists = tf.compat.v1.gfile.Exists
            for root, dirs, files in tf.io.gfile.walk(log_dir, topdown=False):
                tf.compat.v1.gfile.Remove(**{'filename': root + '/events.out'})
            opener = tf.io.gfile.GFile
            """,
        ),
    ]

    def __init__(self) -> None:
        self._gfile_calls: set[ast.expr] = set()  # functions of the calls `on_call` reported

    def on_import(self, ctx, node, module: str) -> None:
        """`from tensorflow import gfile`: an ImportError on TF 2.21; fixed to import it
        from compat.v1 (names other rules cover are moved when those rules report them)."""
        if not isinstance(node, ast.ImportFrom) or node.level or node.module is None:
            return
        if node.module.startswith("tensorflow.compat") or not self._tf1_only(module, "v2"):
            return
        local = next(
            (
                alias.asname or alias.name
                for alias in node.names
                if "." not in alias.name and module.endswith("." + alias.name)
            ),
            None,
        )
        if local is None or ctx.resolve_text(local) is None:
            return
        ctx.report(
            self,
            node,
            name=module,
            message=f"`{module}` exists only in tf.compat.v1: this import fails on TF 2.21",
            fixed_by=ctx.move_import(node, local),
        )

    def _tf1_only(self, name: str, namespace: str) -> bool:
        if namespace != "v2" or tf_api.exists(name, "v2") or not tf_api.exists(name, "v1"):
            return False
        # another rule that covers the name reports it (and the compat.v1 fix comes with it)
        return not self.covered_elsewhere(name)

    def on_call(self, ctx, node: ast.Call) -> None:
        """A `tf.gfile` call: rewritten to its `tf.io.gfile` function, keywords renamed."""
        resolved = ctx.resolve(node.func)
        if resolved is None or resolved[0] not in GFILE or not self._tf1_only(*resolved):
            return
        self._gfile_calls.add(node.func)  # reported here, not again as a reference
        name = resolved[0]
        alias = _alias(ctx, node.func)
        if alias is None or any(k.arg is None for k in node.keywords):  # `**options`
            ctx.report(
                self, node.func, message=_gfile_message(name), fixed_by=ctx.compat_fix(node.func)
            )
            return
        function, params = GFILE[name]
        ctx.report(
            self,
            node.func,
            message=_gfile_message(name),
            fix=_gfile_call_fix(f"{alias}.io.gfile.{function}", params),
            fix_node=node,
        )

    def finish(self, ctx) -> None:
        self._gfile_calls.clear()

    def on_reference(self, ctx, node, name, namespace) -> None:
        if not self._tf1_only(name, namespace) or node in self._gfile_calls:
            return
        if name in GFILE:  # not called: renamed only where no parameter was
            function, params = GFILE[name]
            alias = _alias(ctx, node)
            fixed_by = (
                ctx.add_edit(node, f"{alias}.io.gfile.{function}")
                if alias is not None and not params
                else ctx.compat_fix(node)
            )
            ctx.report(self, node, message=_gfile_message(name), fixed_by=fixed_by)
            return
        target = tf_api.tf2_name(name)
        alias = _alias(ctx, node) if target else None
        if target is None or alias is None:
            ctx.report(self, node, name=name, namespace=namespace)
            return
        ctx.report(
            self,
            node,
            name=name,
            message=f"`{name}` is `{target}` in TF2 (the same object)",
            fix=alias + target[2:],
        )


def _gfile_message(name: str) -> str:
    """What a `tf.gfile` name is in TF2, with the parameters TF2 renamed."""
    function, params = GFILE[name]
    target = f"tf.io.gfile.{function}"
    if tf_api.tf2_name(name) == target:
        return f"`{name}` is `{target}` in TF2 (the same object)"
    renamed = "; ".join(f"`{old}=` is `{new}=`" for old, new in params.items())
    return f"`{name}` is `{target}` in TF2" + (f" ({renamed})" if renamed else "")


def _gfile_call_fix(function: str, params: dict[str, str]):
    """A fix calling `function` instead, with TF2's names for the keywords TF1 named."""

    def fix(updated: cst.Call) -> cst.Call:
        import libcst as cst

        args = [
            arg.with_changes(keyword=cst.Name(params[arg.keyword.value]))
            if arg.keyword is not None and arg.keyword.value in params
            else arg
            for arg in updated.args
        ]
        return updated.with_changes(func=cst.parse_expression(function), args=args)

    return fix
