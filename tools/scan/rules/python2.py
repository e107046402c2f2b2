"""Python 2 -> 3: what Python 3 rejects, what it no longer has, and what it silently computes
differently.

These rules look only at files the scanner reads as Python 2 (`python2.is_python2`, or a
file Python 3 rejects and the conversion makes valid): a Python 3 file never gets them.
The syntax rules (PY201-PY210) report the edits of the conversion itself; the others look
at the converted file's `ast`, as a whole module (what it binds, its `__future__` imports).
A change of meaning that cannot be proved the same (`/` on values of unknown type, a `map`
result used twice) is reported, not rewritten.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tf2rec.tools.scan.finding import Finding
from tf2rec.tools.scan.rule import Expect, FileContext, Invalid, Rule, Severity, Valid

_SYNTAX_SAFETY = (
    "The statement is rewritten to its Python 3 spelling with Python 2's meaning; the "
    "text around the rewritten span (comments, spacing, line endings) is kept."
)


class Python2Rule(Rule):
    """A rule about Python 2 code: looks at a Python 2 file's module (`check`)."""

    severity = Severity.ERROR
    severity_from_api_table = False
    fix_safety = _SYNTAX_SAFETY

    def check(self, ctx: FileContext, module: Module) -> None:
        """Report on the module (syntax rules report through the conversion instead)."""


class SyntaxRule(Python2Rule):
    """A construct Python 3 rejects, rewritten by the conversion (`python2.to_python3`)."""


@dataclass
class Module:
    """A Python 2 file's converted tree, with what the rules ask of it, computed once."""

    tree: ast.Module
    path: str
    nodes: dict[type, list[ast.AST]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        nodes, AST = self.nodes, ast.AST
        stack: list[ast.AST] = [self.tree]
        while stack:
            node = stack.pop()
            nodes[type(node)].append(node)
            for name in node._fields:
                if name == "ctx":
                    continue
                value = getattr(node, name, None)
                if type(value) is list:
                    stack.extend(v for v in value if isinstance(v, AST))
                elif isinstance(value, AST):
                    stack.append(value)
        for found in nodes.values():
            found.reverse()  # popped last first: back in source order

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        """id of a node -> the node holding it."""
        parents = {}
        for kind in list(self.nodes):
            for node in self.nodes[kind]:
                for child in ast.iter_child_nodes(node):
                    parents[id(child)] = node
        return parents

    @cached_property
    def bound(self) -> set[str]:
        nodes = self.nodes
        bound = {n.id for n in nodes[ast.Name] if not isinstance(n.ctx, ast.Load)}
        for kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            bound.update(n.name for n in nodes[kind])
        bound.update(a.arg for a in nodes[ast.arg])
        bound.update((a.asname or a.name).partition(".")[0] for a in nodes[ast.alias])
        return bound

    @cached_property
    def futures(self) -> set[str]:
        return {
            alias.name
            for node in self.nodes[ast.ImportFrom]
            if node.module == "__future__"
            for alias in node.names
        }

    @cached_property
    def imported(self) -> dict[str, str]:
        """Local name -> module, for `import m` / `import m as x`."""
        return {
            (alias.asname or alias.name): alias.name
            for node in self.nodes[ast.Import]
            for alias in node.names
        }

    @cached_property
    def is_script(self) -> bool:
        """Has an `if __name__ == "__main__":` block: run by path."""
        return any(
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
            for node in self.tree.body
        )

    @cached_property
    def _assigned(self) -> dict[str, list[ast.AST | None]]:
        """Name -> the values it is bound to (None: bound otherwise, by a loop, a parameter,
        an import, `+=`)."""
        values: dict[str, list[ast.AST | None]] = defaultdict(list)
        for node in self.nodes[ast.Assign]:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id].append(node.value)
        for node in self.nodes[ast.Name]:
            if isinstance(node.ctx, ast.Store):
                parent = self.parents.get(id(node))
                if not (isinstance(parent, ast.Assign) and node in parent.targets):
                    values[node.id].append(None)
        for name in self.bound - set(values):
            values[name].append(None)
        for node in self.nodes[ast.arg]:
            values[node.arg].append(None)
        return values

    def single_value(self, name: str) -> ast.AST | None:
        """What `name` is bound to, when the module binds it once, by `name = value`."""
        values = self._assigned.get(name)
        return values[0] if values and len(values) == 1 else None

    def builtin(self, node: ast.AST, *names: str) -> bool:
        """`node` is a name of Python's builtins (not bound in the module)."""
        return isinstance(node, ast.Name) and node.id in names and node.id not in self.bound

    def calls(self, *names: str) -> list[ast.Call]:
        return [c for c in self.nodes[ast.Call] if self.builtin(c.func, *names)]

    def method_calls(self, *names: str) -> list[ast.Call]:
        return [
            c
            for c in self.nodes[ast.Call]
            if isinstance(c.func, ast.Attribute) and c.func.attr in names
        ]


def check_python2(ctx: FileContext, tree: ast.Module, rules: list[Rule]) -> None:
    """Let the Python 2 rules among `rules` look at a Python 2 file's converted tree."""
    chosen = [r for r in rules if isinstance(r, Python2Rule) and not isinstance(r, SyntaxRule)]
    if chosen:
        module = Module(tree, ctx.path)
        for rule in chosen:
            rule.check(ctx, module)


def syntax_edit_findings(ctx: FileContext, rules: list[Rule]) -> list[Finding]:
    """One finding per construct the conversion rewrote, for the syntax rules chosen; at the
    original text's positions."""
    chosen = {r.id: r for r in rules if isinstance(r, SyntaxRule)}
    conversion = ctx.python2
    found: dict[tuple[str, int, int], Finding] = {}
    for edit in conversion.edits:
        rule = chosen.get(edit.rule_id)
        if rule is None or (edit.rule_id, edit.at, edit.until) in found:
            continue
        line, column = conversion.position(edit.at)
        end_line, end_column = conversion.position(edit.until)
        message = rule.message.format(
            name=conversion.source[edit.at : edit.until].strip(), fixed=edit.text
        )
        found[(edit.rule_id, edit.at, edit.until)] = Finding(
            ctx.path, line, column, rule.id, rule.severity, message, end_line, end_column, True
        )
    return list(found.values())


# ---- what Python 3 rejects: the conversion's edits ----


class PrintStatement(SyntaxRule):
    """`print` is a function in Python 3. `print x, y` becomes `print(x, y)`; Python 2's
    `print >>f, x` is `print(x, file=f)`, its trailing comma (no newline) `end=" "`, and
    `print (a, b)` printed a tuple, so it becomes `print((a, b))`."""

    id = "PY201"
    name = "print-statement"
    message = "Python 2 `print` statement: a call of `print()` in Python 3"
    replacement = '`print(x, y)`, `print(x, file=f)`, `print(x, end=" ")`'
    VALID = [Valid("print('loss', 0.5)\n"), Valid("from __future__ import print_function\n")]
    INVALID = [
        Invalid(
            "print 'step', step  # progress\r\nprint\r\n",
            [Expect(1, 1, message), Expect(2, 1, message)],
            "print('step', step)  # progress\r\nprint()\r\n",
        ),
        Invalid(
            """
            import sys
            for i in range(3):
                print >>sys.stderr, "batch %d" % i,
                print ("loss", i)
            """,
            [Expect(3, 5, message), Expect(4, 5, message)],
            """
            import sys
            for i in range(3):
                print("batch %d" % i, end=" ", file=sys.stderr)
                print(("loss", i))
            """,
        ),
    ]


class ExceptComma(SyntaxRule):
    """Python 3 spells the name an exception is bound to with `as`."""

    id = "PY202"
    name = "except-comma"
    message = "Python 2 `except X, e:`: `except X as e:` in Python 3"
    replacement = "`except X as e:`"
    VALID = [Valid("try:\n    pass\nexcept (IOError, OSError) as e:\n    pass\n")]
    INVALID = [
        Invalid(
            "try:\n    pass\nexcept IOError, e:\n    pass\n",
            [Expect(3, 1, message)],
            "try:\n    pass\nexcept IOError as e:\n    pass\n",
        ),
        Invalid(
            "try:\n    pass\nexcept (IOError, OSError),err:  # disk\n    pass\n",
            [Expect(3, 1, message)],
            "try:\n    pass\nexcept (IOError, OSError) as err:  # disk\n    pass\n",
        ),
    ]


class RaiseComma(SyntaxRule):
    """`raise E, V` made the exception from its class and value; Python 3 calls the class
    (`raise E(V)`) and attaches a traceback with `.with_traceback(T)`."""

    id = "PY203"
    name = "raise-comma"
    message = "Python 2 `raise E, V`: `raise E(V)` in Python 3"
    replacement = "`raise E(V)`, `raise E(V).with_traceback(T)`"
    VALID = [Valid("raise ValueError('bad batch size')\n")]
    INVALID = [
        Invalid(
            "raise ValueError, 'bad batch size'\n",
            [Expect(1, 1, message)],
            "raise ValueError('bad batch size')\n",
        ),
        Invalid(
            "import sys\nraise IOError, 'no data', sys.exc_info()[2]\n",
            [Expect(2, 1, message)],
            "import sys\nraise IOError('no data').with_traceback(sys.exc_info()[2])\n",
        ),
    ]


class Backquotes(SyntaxRule):
    """Backquotes were Python 2's spelling of `repr()`."""

    id = "PY204"
    name = "backquotes"
    message = "Python 2 backquotes: `repr(...)` in Python 3"
    replacement = "`repr(x)`"
    VALID = [Valid("name = 'run_' + repr(3)\n")]
    INVALID = [
        Invalid("name = 'run_' + `3`\n", [Expect(1, 17, message)], "name = 'run_' + repr(3)\n"),
        Invalid(
            "step = 4\nprint('at ' + `step`)\n",
            [Expect(2, 15, message)],
            "step = 4\nprint('at ' + repr(step))\n",
        ),
    ]


class NumberLiteral(SyntaxRule):
    """Python 3 writes octal numbers `0o755` (`0755` is an error) and has no `L` suffix:
    every integer is a long."""

    id = "PY205"
    name = "number-literal"
    message = "Python 2 number literal `{name}`: `{fixed}` in Python 3"
    replacement = "`0o755`, `10`"
    VALID = [Valid("mode = 0o755\nsize = 10\n")]
    INVALID = [
        Invalid(
            "import os\nos.chmod('model', 0755)\n",
            [Expect(2, 19, "Python 2 number literal `0755`: `0o755` in Python 3")],
            "import os\nos.chmod('model', 0o755)\n",
        ),
        Invalid(
            "seed = 1234567890123L\n",
            [Expect(1, 8, "Python 2 number literal `1234567890123L`: `1234567890123` in Python 3")],
            "seed = 1234567890123\n",
        ),
    ]


class NotEqualOperator(SyntaxRule):
    """Python 2's `<>` is `!=`."""

    id = "PY206"
    name = "not-equal-operator"
    message = "Python 2 `<>` operator: `!=` in Python 3"
    replacement = "`a != b`"
    VALID = [Valid("ok = 1 != 2\n")]
    INVALID = [
        Invalid("ok = 1 <> 2\n", [Expect(1, 8, message)], "ok = 1 != 2\n"),
        Invalid(
            "x = 3\nif x <> 0: pass\n",
            [Expect(2, 6, message)],
            "x = 3\nif x != 0: pass\n",
        ),
    ]


class ExecStatement(SyntaxRule):
    """`exec` is a function in Python 3: `exec code in g, l` is `exec(code, g, l)`."""

    id = "PY207"
    name = "exec-statement"
    message = "Python 2 `exec` statement: a call of `exec()` in Python 3"
    replacement = "`exec(code, namespace)`"
    VALID = [Valid("exec('x = 1', {})\n")]
    INVALID = [
        Invalid("exec 'x = 1'\n", [Expect(1, 1, message)], "exec('x = 1')\n"),
        Invalid(
            "ns = {}\nexec 'x = 1' in ns\n",
            [Expect(2, 1, message)],
            "ns = {}\nexec('x = 1', ns)\n",
        ),
    ]


class TupleParameter(SyntaxRule):
    """Python 3 has no tuple parameters. `lambda (k, v): v` (common as a sort key over
    `dict.items()`) becomes a lambda of one argument that unpacks it the same way (a nested
    one, `lambda (k, (a, b)): b`, through a one-item loop, whose target may nest);
    `def f(x, (a, b)):` takes one parameter `a_b` and unpacks it as the body's first
    statement, after the docstring, which is when Python 2 unpacked it. The new name is
    the joined names, with `_` added if the file already uses it."""

    id = "PY209"
    name = "tuple-parameter"
    message = "Python 2 tuple parameter: Python 3 unpacks it in the body"
    replacement = "`lambda k_v: (lambda k, v: v)(*k_v)`, `def f(a_b): (a, b) = a_b`"
    VALID = [Valid("key = lambda kv: kv[1]\n"), Valid("def f(a, b=(1, 2)):\n    return a\n")]
    INVALID = [
        Invalid(
            "top = sorted(counts.items(), key=lambda (w, n): -n)[:10]\nprint top\n",
            [Expect(1, 34, message)],
            None,
        ),
        Invalid(
            "pairs = map(lambda (u, i): u * 100 + i, zip(users, items))\n",
            [Expect(1, 13, message)],
            "pairs = map(lambda u_i: (lambda u, i: u * 100 + i)(*u_i), zip(users, items))\n",
        ),
        Invalid(
            "best = max(scores.items(), key=lambda (k,v): v)  # by score\n",
            [Expect(1, 32, message)],
            "best = max(scores.items(), key=lambda k_v: (lambda k, v: v)(*k_v))  # by score\n",
        ),
        Invalid(
            """
            def dot(model, (user, item), bias=0.0):
                \"\"\"Score of one (user, item) pair.\"\"\"
                return model.user[user].dot(model.item[item]) + bias
            """,
            [Expect(1, 16, message)],
            """
            def dot(model, user_item, bias=0.0):
                \"\"\"Score of one (user, item) pair.\"\"\"
                (user, item) = user_item
                return model.user[user].dot(model.item[item]) + bias
            """,
        ),
        Invalid(
            "def key((k, (n, s))): return -s\r\n"
            "top = sorted(stats.items(), key=lambda (k, (n, s)): -s)\r\n",
            [Expect(1, 9, message), Expect(2, 33, message)],
            "def key(k_n_s): (k, (n, s)) = k_n_s; return -s\r\n"
            "top = sorted(stats.items(), key=lambda k_n_s: [-s for k, (n, s) in [k_n_s]][0])\r\n",
        ),
    ]


class RawUnicodeString(SyntaxRule):
    """Python 3 has no `ur''` prefix: every string is unicode. Python 2 still read `\\uXXXX`
    and `\\UXXXXXXXX` escapes in a raw unicode string (after an odd run of backslashes)
    and kept every other backslash: without such an escape the literal is Python 3's `r''`;
    with one, a plain literal holding the same characters (the other backslashes doubled)."""

    id = "PY210"
    name = "raw-unicode-string"
    message = "Python 2 `ur''` string: `{fixed}` in Python 3"
    replacement = "`r'...'`, or a plain literal where it has `\\u` escapes"
    VALID = [Valid("pattern = r'\\d+'\n")]
    INVALID = [
        Invalid(
            "import re\nDIGITS = re.compile(ur'^\\d+$')\n",
            [Expect(2, 21, "Python 2 `ur''` string: `r'^\\d+$'` in Python 3")],
            "import re\nDIGITS = re.compile(r'^\\d+$')\n",
        ),
        Invalid(
            "import re\nSPACE = re.compile(UR'[\\s\\u3000]+')  # ideographic space too\n",
            [Expect(2, 20, "Python 2 `ur''` string: `'[\\\\s\\u3000]+'` in Python 3")],
            "import re\nSPACE = re.compile('[\\\\s\\u3000]+')  # ideographic space too\n",
        ),
    ]


class MixedTabs(SyntaxRule):
    """Python 2 read a tab as indentation to the next multiple of eight columns, so a
    file could indent some lines with tabs and others with spaces; Python 3 refuses that
    (TabError). The lines indented with tabs are indented with the spaces Python 2 saw."""

    id = "PY208"
    name = "mixed-tabs"
    message = (
        "indentation mixes tabs and spaces, which Python 3 refuses: spaces, as Python 2 read it"
    )
    replacement = "indent with spaces only"
    VALID = [Valid("if True:\n\tx = 1\n\ty = 2\n")]
    INVALID = [
        Invalid(
            "if True:\n        x = 1\n\ty = 2\n",
            [Expect(3, 1, message)],
            "if True:\n        x = 1\n        y = 2\n",
        ),
        Invalid(
            "def f():\n    if 1:\n\treturn 2  # tab\n    return 3\n",
            [Expect(3, 1, message)],
            "def f():\n    if 1:\n        return 2  # tab\n    return 3\n",
        ),
    ]


# ---- what Python 3 no longer has: names, methods, modules ----


def _rename(new: str):
    """A fix that spells a name or an attribute's last part `new`."""

    def fix(node):
        import libcst as cst

        if isinstance(node, cst.Attribute):
            return node.with_changes(attr=cst.Name(new))
        return cst.Name(new)

    return fix


def _call_list(node):
    import libcst as cst

    return cst.Call(func=cst.Name("list"), args=[cst.Arg(node)])


class Xrange(Python2Rule):
    """Python 3's `range` is Python 2's `xrange` (a lazy sequence); `xrange` is gone."""

    id = "PY211"
    name = "xrange"
    message = "`xrange` is `range` in Python 3"
    replacement = "`range(n)`"
    fix_safety = "Python 3's `range` is the lazy sequence Python 2's `xrange` was."
    VALID = [Valid("for i in range(3):\n    pass\n"), Valid("xrange = range\nxrange(3)\n")]
    INVALID = [
        Invalid(
            "for step in xrange(1000):  # steps\n    pass\n",
            [Expect(1, 13, message)],
            "for step in range(1000):  # steps\n    pass\n",
        ),
        Invalid(
            "batches = [i for i in xrange(0, 100, 10)]\n",
            [Expect(1, 23, message)],
            "batches = [i for i in range(0, 100, 10)]\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for node in module.nodes[ast.Name]:
            if module.builtin(node, "xrange"):
                ctx.report(self, node, fix="range")


_DICT_METHODS = {"iteritems": "items", "itervalues": "values", "iterkeys": "keys"}


class DictIterators(Python2Rule):
    """Python 3's `dict.items()`, `values()` and `keys()` are views to iterate; the
    `iter...` methods are gone."""

    id = "PY212"
    name = "dict-iterators"
    message = "`.{name}()` is `.{fixed}()` in Python 3"
    replacement = "`d.items()`, `d.values()`, `d.keys()`"
    fix_safety = "Iterating the view gives what iterating Python 2's iterator gave."
    VALID = [Valid("for k, v in {}.items():\n    pass\n")]
    INVALID = [
        Invalid(
            "for word, count in counts.iteritems():\n    ids = xrange(count)\n",
            [Expect(1, 20, "`.iteritems()` is `.items()` in Python 3")],
            "for word, count in counts.items():\n    ids = xrange(count)\n",
        ),
        Invalid(
            "total = sum(w.itervalues()) + unicode(3)\n",
            [Expect(1, 13, "`.itervalues()` is `.values()` in Python 3")],
            "total = sum(w.values()) + unicode(3)\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for call in module.method_calls(*_DICT_METHODS):
            if not call.args and not call.keywords:
                new = _DICT_METHODS[call.func.attr]
                text = self.message.format(name=call.func.attr, fixed=new)
                ctx.report(self, call.func, message=text, fix=_rename(new))


class HasKey(Python2Rule):
    """`dict.has_key(k)` is gone in Python 3: `k in d`."""

    id = "PY213"
    name = "has-key"
    message = "`d.has_key(k)` is `k in d` in Python 3"
    replacement = "`k in d`"
    fix_safety = "`k in d` is what `has_key` computed, written in parentheses where needed."
    VALID = [Valid("ok = 'a' in {}\n")]
    INVALID = [
        Invalid(
            "if vocab.has_key(word):\n    pass\n",
            [Expect(1, 4, message)],
            "if word in vocab:\n    pass\n",
        ),
        Invalid(
            "seen = features.has_key('age') == True\n",
            [Expect(1, 8, message)],
            "seen = ('age' in features) == True\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        source = ctx.positions.source
        for call in module.method_calls("has_key"):
            if len(call.args) != 1 or call.keywords:
                continue
            key = ast.get_source_segment(source, call.args[0])
            owner = ast.get_source_segment(source, call.func.value)
            text = f"{key} in {owner}"
            parent = module.parents.get(id(call))
            safe = ast.If | ast.While | ast.BoolOp | ast.Assert | ast.Lambda | ast.Return
            if not isinstance(parent, safe | ast.Assign | ast.keyword | ast.Call) and not (
                isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)
            ):
                text = f"({text})"
            ctx.report(self, call, fix=text)


_BUILTINS = {
    "unicode": "str",
    "basestring": "str",
    "long": "int",
    "raw_input": "input",
    "unichr": "chr",
}


class Python2Builtins(Python2Rule):
    """Python 2's `unicode`, `basestring`, `long`, `raw_input` and `unichr` are Python 3's
    `str`, `int`, `input` and `chr`."""

    id = "PY214"
    name = "python2-builtins"
    message = "`{name}` is `{fixed}` in Python 3"
    replacement = "`str`, `int`, `input`, `chr`"
    fix_safety = (
        "The Python 3 builtin does what the Python 2 one did for text (Python 3's `str` is "
        "Python 2's `unicode`, its `int` Python 2's `long`)."
    )
    VALID = [Valid("name = str(3)\n"), Valid("long = 3\nx = long\n")]
    INVALID = [
        Invalid(
            "line = unicode(raw_input('user id: '))\n",
            [
                Expect(1, 8, "`unicode` is `str` in Python 3"),
                Expect(1, 16, "`raw_input` is `input` in Python 3"),
            ],
            "line = str(input('user id: '))\n",
        ),
        Invalid(
            "def is_text(x):\n    return isinstance(x, basestring)\nn = long(7)\n",
            [
                Expect(2, 26, "`basestring` is `str` in Python 3"),
                Expect(3, 5, "`long` is `int` in Python 3"),
            ],
            "def is_text(x):\n    return isinstance(x, str)\nn = int(7)\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for node in module.nodes[ast.Name]:
            if module.builtin(node, *_BUILTINS):
                new = _BUILTINS[node.id]
                ctx.report(
                    self, node, message=self.message.format(name=node.id, fixed=new), fix=new
                )


class ImplicitRelativeImport(Python2Rule):
    """In a package, Python 2 found `import model` in the package's own folder first;
    Python 3 imports only absolute names, so the module is not found (or another one of
    that name is). Fixed only in a module of a package (a folder with `__init__.py`) that
    has no `if __name__ == "__main__":` block: a script run by path has its folder on
    `sys.path` and imports the same in both."""

    id = "PY215"
    name = "implicit-relative-import"
    message = "`{name}` is a module of this package: Python 3 needs a relative import"
    replacement = "`from . import model`, `from .model import Net`"
    fix_safety = "The import names the same module of the same package, explicitly."
    VALID = [Valid("import os\nfrom collections import OrderedDict\n")]
    INVALID = [
        Invalid(
            "import model\nfrom layers import dot  # helpers\nsteps = xrange(3)\n",
            [
                Expect(
                    1, 1, "`model` is a module of this package: Python 3 needs a relative import"
                ),
                Expect(
                    2, 1, "`layers` is a module of this package: Python 3 needs a relative import"
                ),
            ],
            "from . import model\nfrom .layers import dot  # helpers\nsteps = xrange(3)\n",
            path="tests/fixtures/python2/ranker/example.py",
        ),
        Invalid(
            "import model as m, os\nm.Ranker(xrange(3))\n",
            [Expect(1, 1, "`model` is a module of this package: Python 3 needs a relative import")],
            "from . import model as m; import os\nm.Ranker(xrange(3))\n",
            path="tests/fixtures/python2/ranker/example.py",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        if "absolute_import" in module.futures or module.is_script:
            return
        folder = Path(ctx.path).parent
        if not (folder / "__init__.py").is_file():
            return
        siblings = {
            p.stem if p.suffix == ".py" else p.name
            for p in folder.iterdir()
            if p.suffix == ".py" or (p / "__init__.py").is_file()
        }
        for node in module.nodes[ast.Import]:
            if module.parents.get(id(node)) is not module.tree:
                continue
            local = [a for a in node.names if a.name.partition(".")[0] in siblings]
            if local and "." not in local[0].name:
                others = [a for a in node.names if a not in local]
                parts = [
                    "from . import " + ", ".join(_alias(a) for a in local),
                    *(["import " + ", ".join(map(_alias, others))] if others else []),
                ]
                message = self.message.format(name=local[0].name)
                ctx.report(self, node, message=message, fix="; ".join(parts))
        for node in module.nodes[ast.ImportFrom]:
            name = (node.module or "").partition(".")[0]
            if node.level == 0 and name in siblings and node.module != "__future__":
                names = ", ".join(_alias(a) for a in node.names)
                fix = f"from .{node.module} import {names}"
                ctx.report(self, node, message=self.message.format(name=name), fix=fix)


def _alias(alias: ast.alias) -> str:
    return alias.name + (f" as {alias.asname}" if alias.asname else "")


class CPickle(Python2Rule):
    """Python 3 has one `pickle` module (with the C implementation inside); `cPickle` is
    gone."""

    id = "PY216"
    name = "cpickle"
    message = "`cPickle` is `pickle` in Python 3"
    replacement = "`import pickle`"
    fix_safety = "The module is bound to the name the file uses."
    VALID = [Valid("import pickle\n")]
    INVALID = [
        Invalid(
            "import cPickle as pickle\nwith open('d.pkl', 'rb') as f:\n"
            "    d = pickle.load(f, encoding='latin1')\n",
            [Expect(1, 8, message)],
            "import pickle\nwith open('d.pkl', 'rb') as f:\n"
            "    d = pickle.load(f, encoding='latin1')\n",
        ),
        Invalid(
            "import os, cPickle\ncPickle.dumps([1], 2)\n",
            [Expect(1, 12, message)],
            "import os, pickle as cPickle\ncPickle.dumps([1], 2)\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for node in module.nodes[ast.Import]:
            for alias in node.names:
                if alias.name == "cPickle":
                    local = alias.asname or "cPickle"
                    fix = "pickle" if local == "pickle" else f"pickle as {local}"
                    ctx.report(self, alias, fix=fix)
        for node in module.nodes[ast.ImportFrom]:
            if node.module == "cPickle" and node.level == 0:
                names = ", ".join(_alias(a) for a in node.names)
                ctx.report(self, node, fix=f"from pickle import {names}")


class PickleEncoding(Python2Rule):
    """Python 2 pickled `str` as bytes. Python 3's `pickle.load` decodes them as ASCII by
    default and fails on any other byte (a numpy array's data included); the data's own
    encoding must be given (`encoding='latin1'` for numpy arrays and Python 2 `str` holding
    bytes, `encoding='bytes'` to keep them bytes). Which one depends on the data, so it is
    not fixed."""

    id = "PY217"
    name = "pickle-encoding"
    severity = Severity.WARNING
    message = "`{name}` of data Python 2 pickled needs `encoding=` in Python 3"
    replacement = "`pickle.load(f, encoding='latin1')`"
    VALID = [Valid("import pickle\npickle.load(open('d.pkl', 'rb'))\n")]
    INVALID = [
        Invalid(
            "import cPickle\ndata = cPickle.load(open('train.pkl', 'rb'))\n",
            [Expect(2, 8, "`cPickle.load` of data Python 2 pickled needs `encoding=` in Python 3")],
        ),
        Invalid(
            "import pickle\nd = pickle.loads(blob)\nw = unicode(d)\n",
            [Expect(2, 5, "`pickle.loads` of data Python 2 pickled needs `encoding=` in Python 3")],
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for call in module.method_calls("load", "loads"):
            owner = call.func.value
            if not isinstance(owner, ast.Name):
                continue
            if module.imported.get(owner.id) not in ("pickle", "cPickle"):
                continue
            if not any(k.arg == "encoding" for k in call.keywords):
                name = f"{owner.id}.{call.func.attr}"
                ctx.report(self, call, message=self.message.format(name=name))


class SortCmp(Python2Rule):
    """Python 3's `sorted` and `list.sort` take no `cmp=` function; `key=` with
    `functools.cmp_to_key(f)` sorts the same."""

    id = "PY218"
    name = "sort-cmp"
    message = "`cmp=` is gone from sorting in Python 3: `key=functools.cmp_to_key(f)`"
    replacement = "`sorted(xs, key=functools.cmp_to_key(f))`"
    VALID = [Valid("sorted([3, 1], key=abs)\n")]
    INVALID = [
        Invalid(
            "scores = sorted(pairs, cmp=lambda a, b: cmp(b[1], a[1]))\nn = xrange(2)\n",
            [Expect(1, 24, message)],
        ),
        Invalid(
            "items.sort(cmp=by_score)\nn = unicode(2)\n",
            [Expect(1, 12, message)],
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for call in module.nodes[ast.Call]:
            func = call.func
            sorting = module.builtin(func, "sorted") or (
                isinstance(func, ast.Attribute) and func.attr == "sort"
            )
            for keyword in call.keywords if sorting else ():
                if keyword.arg == "cmp":
                    ctx.report(self, keyword)


_STRING_NAMES = {
    "letters": "ascii_letters",
    "lowercase": "ascii_lowercase",
    "uppercase": "ascii_uppercase",
}


class StringLetters(Python2Rule):
    """`string.letters`, `lowercase` and `uppercase` are gone; Python 3 has the ASCII
    ones (Python 2's depended on the locale, which is ASCII unless a program set it)."""

    id = "PY219"
    name = "string-letters"
    message = "`string.{name}` is `string.{fixed}` in Python 3"
    replacement = "`string.ascii_letters`"
    fix_safety = "The same characters in the C locale, which Python 2 used unless told otherwise."
    VALID = [Valid("import string\nstring.ascii_letters\n")]
    INVALID = [
        Invalid(
            "import string\nchars = string.letters + string.digits\nn = xrange(2)\n",
            [Expect(2, 9, "`string.letters` is `string.ascii_letters` in Python 3")],
            "import string\nchars = string.ascii_letters + string.digits\nn = xrange(2)\n",
        ),
        Invalid(
            "import string as s\nlow = s.lowercase\nname = unicode(low)\n",
            [Expect(2, 7, "`string.lowercase` is `string.ascii_lowercase` in Python 3")],
            "import string as s\nlow = s.ascii_lowercase\nname = unicode(low)\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for node in module.nodes[ast.Attribute]:
            value = node.value
            if (
                node.attr in _STRING_NAMES
                and isinstance(value, ast.Name)
                and module.imported.get(value.id) == "string"
            ):
                new = _STRING_NAMES[node.attr]
                text = self.message.format(name=node.attr, fixed=new)
                ctx.report(self, node, message=text, fix=_rename(new))


class IndexedView(Python2Rule):
    """Python 2's `d.keys()`, `map()`, `zip()` and `filter()` returned lists; Python 3's
    return views and iterators, which cannot be indexed (a TypeError). `list(...)` around
    the call gives Python 2's list."""

    id = "PY220"
    name = "indexed-view"
    message = "`{name}(...)` cannot be indexed in Python 3: `list({name}(...))[...]`"
    replacement = "`list(d.keys())[0]`"
    fix_safety = "`list(...)` builds the list Python 2's call returned."
    VALID = [Valid("first = list({1: 2}.keys())[0]\n")]
    INVALID = [
        Invalid(
            "first = vocab.keys()[0]\nn = xrange(2)\n",
            [Expect(1, 9, "`.keys(...)` cannot be indexed in Python 3: `list(.keys(...))[...]`")],
            "first = list(vocab.keys())[0]\nn = xrange(2)\n",
        ),
        Invalid(
            "pairs = zip(users, items)[:10]  # head\nn = unicode(2)\n",
            [Expect(1, 9, "`zip(...)` cannot be indexed in Python 3: `list(zip(...))[...]`")],
            "pairs = list(zip(users, items))[:10]  # head\nn = unicode(2)\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for node in module.nodes[ast.Subscript]:
            call = node.value
            if not isinstance(call, ast.Call) or not isinstance(node.ctx, ast.Load):
                continue
            func = call.func
            if module.builtin(func, "map", "zip", "filter"):
                name = func.id
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in ("keys", "values", "items")
                and not call.args
            ):
                name = "." + func.attr
            else:
                continue
            ctx.report(self, call, message=self.message.format(name=name), fix=_call_list)


# ---- what Python 3 computes differently, silently ----


def _int_valued(node: ast.AST, module: Module, depth: int = 0) -> bool:
    """Whether `node` is an integer whatever runs: an int literal, `len()` / `int()`, a
    name bound once in the module to one, or `+ - * // %` of them."""
    if depth > 8:
        return False
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Call):
        return module.builtin(node.func, "len", "int")
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub | ast.UAdd) and _int_valued(
            node.operand, module, depth + 1
        )
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.FloorDiv | ast.Mod) and all(
            _int_valued(side, module, depth + 1) for side in (node.left, node.right)
        )
    if isinstance(node, ast.Name):
        value = module.single_value(node.id)
        return value is not None and _int_valued(value, module, depth + 1)
    return False


def _float_valued(node: ast.AST, module: Module) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) is float
    if isinstance(node, ast.Call):
        return module.builtin(node.func, "float")
    if isinstance(node, ast.BinOp):
        return _float_valued(node.left, module) or _float_valued(node.right, module)
    return False


def _floor_divide(node):
    import libcst as cst

    op = node.operator
    return node.with_changes(
        operator=cst.FloorDivide(
            whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after
        )
    )


class IntegerDivision(Python2Rule):
    """Without `from __future__ import division`, Python 2's `/` on two integers floors
    (`7 / 2 == 3`); Python 3's `/` always divides exactly (`3.5`), so batch counts, indices
    and shapes computed with it become floats or move. Where both sides are integers
    whatever runs (literals, `len()`, names bound once to one) the fix writes `//`, which
    is what Python 2 computed; elsewhere the types are not known and the line is reported
    for a person (`//` for integers, `/` for floats)."""

    id = "PY231"
    name = "integer-division"
    severity = Severity.WARNING
    message = (
        "`/` floors integers in Python 2 and divides exactly in Python 3: `//` if both sides "
        "are integers"
    )
    replacement = "`a // b` for integers (or `from __future__ import division` where `/` was meant)"
    fix_safety = (
        "Applied only where both sides are integers in every run: `//` is Python 2's `/` there."
    )
    VALID = [
        Valid("from __future__ import division\nn = len(xs) / 2\nm = xrange(3)\n"),
        Valid("half = 7.0 / 2\nm = xrange(3)\n"),
    ]
    INVALID = [
        Invalid(
            "BATCH = 32\nnum_batches = len(users) / BATCH\nfor b in xrange(num_batches): pass\n",
            [Expect(2, 15, message)],
            "BATCH = 32\nnum_batches = len(users) // BATCH\nfor b in xrange(num_batches): pass\n",
        ),
        Invalid(
            "mid = (len(items) + 1)/2  # middle\nrate = hits / total\nm = xrange(mid)\n",
            [Expect(1, 7, message), Expect(2, 8, message)],
            "mid = (len(items) + 1)//2  # middle\nrate = hits / total\nm = xrange(mid)\n",
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        if "division" in module.futures:
            return
        for node in module.nodes[ast.BinOp]:
            if not isinstance(node.op, ast.Div):
                continue
            if _float_valued(node.left, module) or _float_valued(node.right, module):
                continue
            exact = _int_valued(node.left, module) and _int_valued(node.right, module)
            ctx.report(self, node, fix=_floor_divide if exact else None)


class ReusedIterator(Python2Rule):
    """Python 2's `map`, `filter` and `zip` returned lists; Python 3's return iterators,
    which are empty after one pass and always true. A result kept in a name and iterated
    again (a loop over epochs) silently sees nothing the second time, and `if pairs:` is
    true even when nothing is left. Not fixed: `list(...)` restores Python 2's list, but
    whether the code wants one is for a person to say."""

    id = "PY232"
    name = "reused-iterator"
    severity = Severity.WARNING
    message = "`{name}` holds a `{call}` iterator in Python 3 ({use}): wrap the call in `list(...)`"
    replacement = "`pairs = list(zip(users, items))`"
    VALID = [Valid("pairs = list(zip([1], [2]))\nfor p in pairs: pass\nfor p in pairs: pass\n")]
    INVALID = [
        Invalid(
            """
            pairs = zip(users, items)
            for epoch in xrange(3):
                for u, i in pairs:
                    pass
            """,
            [
                Expect(
                    1,
                    9,
                    "`pairs` holds a `zip` iterator in Python 3 (iterated more than once): "
                    "wrap the call in `list(...)`",
                )
            ],
        ),
        Invalid(
            "kept = filter(None, rows)\nif kept:\n    print 'rows', len(kept)\n",
            [
                Expect(
                    1,
                    8,
                    "`kept` holds a `filter` iterator in Python 3 (tested for truth): "
                    "wrap the call in `list(...)`",
                )
            ],
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        loads: dict[str, list[ast.Name]] = defaultdict(list)
        for node in module.nodes[ast.Name]:
            if isinstance(node.ctx, ast.Load):
                loads[node.id].append(node)
        for assign in module.nodes[ast.Assign]:
            call = assign.value
            if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name):
                continue
            if not (
                isinstance(call, ast.Call) and module.builtin(call.func, "map", "filter", "zip")
            ):
                continue
            name = assign.targets[0].id
            later = [n for n in loads[name] if (n.lineno, n.col_offset) > (assign.lineno, 0)]
            use = self._use(later, module)
            if use:
                text = self.message.format(name=name, call=call.func.id, use=use)
                ctx.report(self, call, message=text)

    @staticmethod
    def _use(names: list[ast.Name], module: Module) -> str | None:
        for node in names:
            parent = module.parents.get(id(node))
            if isinstance(parent, ast.If | ast.While | ast.IfExp | ast.BoolOp) or (
                isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)
            ):
                return "tested for truth"
        iterated = [
            n for n in names if isinstance(module.parents.get(id(n)), ast.For | ast.comprehension)
        ]
        if len(iterated) > 1 or any(_in_loop(n, module) for n in iterated):
            return "iterated more than once"
        return None


def _in_loop(node: ast.AST, module: Module) -> bool:
    """Whether `node` (the iterable of a loop) sits inside an outer loop's body."""
    inner = module.parents.get(id(node))
    parent = module.parents.get(id(inner))
    while parent is not None and not isinstance(parent, ast.FunctionDef | ast.Lambda):
        if isinstance(parent, ast.For | ast.While):
            return True
        parent = module.parents.get(id(parent))
    return False


class Round(Python2Rule):
    """Python 2's `round` rounded halves away from zero and returned a float; Python 3's
    rounds halves to even (`round(2.5) == 2`, Python 2: `3.0`) and returns an int when
    called with one argument. Bucket boundaries, percentages and ids computed with it
    change."""

    id = "PY233"
    name = "round"
    severity = Severity.WARNING
    message = (
        "`round` rounds halves to even in Python 3 (away from zero in Python 2) and returns an int"
    )
    replacement = "`math.floor(x + 0.5)` for Python 2's halves (positive x), or keep Python 3's"
    VALID = [Valid("r = round(2.5)\n")]
    INVALID = [
        Invalid("bucket = int(round(age / 10.0))\nn = xrange(3)\n", [Expect(1, 14, message)]),
        Invalid("print '%d%%' % round(share * 100)\n", [Expect(1, 16, message)]),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        for call in module.calls("round"):
            ctx.report(self, call)


def _is_set(node: ast.AST, module: Module) -> bool:
    if isinstance(node, ast.Set | ast.SetComp):
        return True
    if isinstance(node, ast.Call):
        return module.builtin(node.func, "set", "frozenset")
    if isinstance(node, ast.Name):
        value = module.single_value(node.id)
        return value is not None and not isinstance(value, ast.Name) and _is_set(value, module)
    return False


class SetOrder(Python2Rule):
    """Python 3 randomises string hashing per process (PYTHONHASHSEED), so iterating a set
    of strings gives another order in every run; Python 2's order was the same every run.
    Ids or a vocabulary numbered in that order (`for w in set(words): vocab[w] =
    len(vocab)`) change from run to run, and a saved model no longer matches them. Iterate
    `sorted(...)` instead."""

    id = "PY234"
    name = "set-order"
    severity = Severity.WARNING
    message = (
        "iterating a set: its order changes from run to run in Python 3 (string hashing is "
        "randomised): iterate `sorted(...)`"
    )
    replacement = "`for w in sorted(set(words)):`"
    VALID = [Valid("for w in sorted(set(['a'])):\n    pass\n")]
    INVALID = [
        Invalid(
            """
            vocab = {}
            for word in set(words):
                vocab[word] = len(vocab)
            ids = xrange(len(vocab))
            """,
            [Expect(2, 13, message)],
        ),
        Invalid(
            "tags = set(t for t in raw)\n"
            "index = dict((t, i) for i, t in enumerate(tags))\nn = xrange(2)\n",
            [Expect(2, 43, message)],
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        iterables = [n.iter for n in module.nodes[ast.For]]
        iterables += [g.iter for g in module.nodes[ast.comprehension]]
        iterables += [
            c.args[0] for c in module.calls("enumerate", "zip", "list", "tuple") if c.args
        ]
        for node in iterables:
            if _is_set(node, module):
                ctx.report(self, node)


_TEXT_METHODS = frozenset(
    {
        "split",
        "strip",
        "rstrip",
        "lstrip",
        "startswith",
        "endswith",
        "replace",
        "find",
        "count",
        "partition",
    }
)


class BinaryFileText(Python2Rule):
    """A file opened in binary mode (`'rb'`, `'wb'`) gives and takes `bytes` in Python 3;
    in Python 2 they were `str`. Text operations with `str` arguments on what it reads
    (`line.split('\\t')`) raise TypeError, and comparisons with `str` are always false;
    writing a `str` raises. Either open it in text mode or use bytes (`b'\\t'`)."""

    id = "PY235"
    name = "binary-file-text"
    severity = Severity.WARNING
    message = "`{name}` mixes `str` with the `bytes` a binary-mode file gives in Python 3"
    replacement = "open the file in text mode (`'r'`, `'w'`), or use `b'...'`"
    VALID = [Valid("with open('log.tsv') as f:\n    for line in f:\n        line.split('\\t')\n")]
    INVALID = [
        Invalid(
            """
            with open('log.tsv', 'rb') as f:
                for line in f:
                    user, item = line.strip().split('\\t')
            n = xrange(2)
            """,
            [
                Expect(
                    3,
                    22,
                    "`.split('\\t')` mixes `str` with the `bytes` a binary-mode file gives in "
                    "Python 3",
                )
            ],
        ),
        Invalid(
            "out = open('ids.txt', 'wb')\nout.write('%d\\n' % 7)\nn = xrange(2)\n",
            [
                Expect(
                    2,
                    1,
                    "`out.write` mixes `str` with the `bytes` a binary-mode file gives in Python 3",
                )
            ],
        ),
    ]

    def check(self, ctx: FileContext, module: Module) -> None:
        handles = self._binary_handles(module)
        if not handles:
            return
        lines = {
            n.target.id
            for n in module.nodes[ast.For]
            if isinstance(n.target, ast.Name)
            and isinstance(n.iter, ast.Name)
            and n.iter.id in handles
        }
        for call in module.method_calls("write", *_TEXT_METHODS):
            func = call.func
            text_arg = any(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args
            ) or any(
                isinstance(a, ast.BinOp)
                and isinstance(a.left, ast.Constant)
                and isinstance(a.left.value, str)
                for a in call.args
            )
            if not text_arg:
                continue
            if func.attr == "write":
                if isinstance(func.value, ast.Name) and func.value.id in handles:
                    name = f"{func.value.id}.write"
                    ctx.report(self, call, message=self.message.format(name=name))
            elif self._from_handle(func.value, handles, lines):
                arg = (
                    ast.get_source_segment(ctx.positions.source, call.args[0]) if call.args else ""
                )
                ctx.report(self, func, message=self.message.format(name=f".{func.attr}({arg})"))

    @staticmethod
    def _from_handle(node: ast.AST, handles: set[str], lines: set[str]) -> bool:
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("read", "readline") and isinstance(node.func.value, ast.Name):
                return node.func.value.id in handles
            node = node.func.value
        return isinstance(node, ast.Name) and node.id in lines

    @staticmethod
    def _binary_handles(module: Module) -> set[str]:
        def binary(call: ast.AST) -> bool:
            if not (isinstance(call, ast.Call) and module.builtin(call.func, "open", "file")):
                return False
            mode = (
                call.args[1]
                if len(call.args) > 1
                else next((k.value for k in call.keywords if k.arg == "mode"), None)
            )
            return (
                isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "b" in mode.value
            )

        found = {
            item.optional_vars.id
            for node in module.nodes[ast.withitem]
            for item in [node]
            if isinstance(item.optional_vars, ast.Name) and binary(item.context_expr)
        }
        found |= {
            a.targets[0].id
            for a in module.nodes[ast.Assign]
            if len(a.targets) == 1 and isinstance(a.targets[0], ast.Name) and binary(a.value)
        }
        return found
