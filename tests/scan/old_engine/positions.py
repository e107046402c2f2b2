"""Line/column of reported libcst nodes, taken from CPython's `ast` of the same source.

libcst's PositionProvider regenerates the whole file to compute positions and was the
largest single cost of a scan. CPython's parser (which the scanner runs anyway to report
syntax errors exactly) records positions for free. The two trees are matched by node kind,
a key (the dotted name, the keyword, ...) and the occurrence number of that key in source
order, which both parsers agree on.
"""

from __future__ import annotations

import ast
from collections import defaultdict

import libcst as cst

from tests.scan.old_engine.names import dotted

Key = tuple
Span = tuple[int, int, int, int]  # line, column (1-based characters), end line, end column


def cst_key(node: cst.CSTNode) -> Key | None:
    if isinstance(node, cst.Attribute):
        return ("Attribute", node.attr.value, dotted(node) or "")
    if isinstance(node, cst.Name):
        return ("Name", node.value)
    if isinstance(node, cst.Call):
        return ("Call", dotted(node.func) or "")
    if isinstance(node, cst.Arg):
        return ("keyword", node.keyword.value) if node.keyword is not None else None
    if isinstance(node, cst.Import):
        return ("Import",)
    if isinstance(node, cst.ImportFrom):
        return ("ImportFrom",)
    return None


def _ast_dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def ast_spans(tree: ast.AST, lines: list[str]) -> dict[Key, list[Span]]:
    """Spans of every keyed node, per key, in source order."""
    found: dict[Key, list[tuple[int, int, ast.AST]]] = defaultdict(list)

    def add(key: Key, node: ast.AST) -> None:
        found[key].append((node.lineno, node.col_offset, node))

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Attribute):
            text = _ast_dotted(node)
            add(("Attribute", node.attr, text or ""), node)
            if text is not None:
                return  # a pure chain is one reference: not its inner parts
        elif isinstance(node, ast.Name):
            add(("Name", node.id), node)
        elif isinstance(node, ast.Call):
            add(("Call", _ast_dotted(node.func) or ""), node)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            add(("keyword", node.arg), node)
        elif isinstance(node, ast.Import):
            add(("Import",), node)
        elif isinstance(node, ast.ImportFrom):
            add(("ImportFrom",), node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    spans: dict[Key, list[Span]] = {}
    for key, nodes in found.items():
        nodes.sort(key=lambda item: (item[0], item[1]))
        spans[key] = [_span(node, lines) for _, _, node in nodes]
    return spans


def _span(node: ast.AST, lines: list[str]) -> Span:
    def column(line: int, byte_offset: int) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    end_line = node.end_lineno or node.lineno
    return (
        node.lineno,
        column(node.lineno, node.col_offset),
        end_line,
        column(end_line, node.end_col_offset or node.col_offset),
    )
