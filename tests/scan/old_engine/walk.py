"""A fast, read-only, source-order walk over a libcst tree.

libcst's visitor machinery rebuilds every node as it goes (it serves transformers too),
which made it most of a scan's time. The scanner only reads, so it walks the fields
directly, in the order libcst's own `_visit_and_replace_children` visits them: that order
is source order, which `positions` relies on. The order is read once per node class from
that method's code, so it follows the installed libcst.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache

import libcst as cst

_VISIT_HELPERS = {
    "visit_required",
    "visit_optional",
    "visit_sequence",
    "visit_body_sequence",
    "visit_iterable",
    "visit_body_iterable",
    "visit_sentinel",
}
# Fields that hold only whitespace, comments or punctuation: nothing a rule looks at.
_SKIP = {
    "lpar",
    "rpar",
    "comma",
    "semicolon",
    "leading_lines",
    "lines_after_decorators",
    "header",
    "footer",
    "dot",
    "colon",
    "equal",
    "newline",
    "operator",
    "lbracket",
    "rbracket",
    "lbrace",
    "rbrace",
    "trailing_whitespace",
    "first_line",
    "empty_lines",
}


@cache
def child_fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of `cls` that can hold nodes, in source order."""
    try:
        source = textwrap.dedent(inspect.getsource(cls._visit_and_replace_children))
    except (OSError, TypeError):
        return ()
    names = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _VISIT_HELPERS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            names.append((node.lineno, node.col_offset, node.args[1].value))
    ordered = [name for _, _, name in sorted(names)]
    return tuple(n for n in dict.fromkeys(ordered) if n not in _SKIP and "whitespace" not in n)


def children(node: cst.CSTNode):
    """The node's children (whitespace and punctuation left out), in source order."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item
