"""Where a node is: 1-based line and character columns for findings, and character
offsets into the source for the fixes that replace its text.

CPython's `ast` gives columns in UTF-8 bytes; editors, SARIF and people count characters.
The conversion reads the node's line only when the file is not plain ASCII.
"""

from __future__ import annotations

import ast
import re
from functools import cached_property

Span = tuple[int, int, int, int]  # line, column (1-based characters), end line, end column
_NEWLINE = re.compile(r"\r\n|\r|\n")  # what Python's tokenizer counts as a line end


class Positions:
    """Positions in one file's text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ascii = source.isascii()

    @cached_property
    def line_starts(self) -> list[int]:
        """Offset of the first character of each line (index 0 is line 1)."""
        return [0, *(m.end() for m in _NEWLINE.finditer(self.source))]

    def column(self, line: int, byte_offset: int) -> int:
        """0-based character column of a byte offset within a line."""
        if self.ascii:
            return byte_offset
        starts = self.line_starts
        if not 0 < line <= len(starts):
            return byte_offset
        text = self.source[starts[line - 1] : starts[line] if line < len(starts) else None]
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        end_line = node.end_lineno or node.lineno
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return (
            node.lineno,
            self.column(node.lineno, node.col_offset) + 1,
            end_line,
            self.column(end_line, end) + 1,
        )

    def offsets(self, span: Span) -> tuple[int, int]:
        """Character offsets of a span's start and end in the source."""
        line, column, end_line, end_column = span
        starts = self.line_starts
        return starts[line - 1] + column - 1, starts[end_line - 1] + end_column - 1
