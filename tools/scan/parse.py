"""Parse a file with CPython's `ast`, a group of top-level statements at a time.

A tree of `ast` nodes takes many times the size of its source. Split where a top-level
statement starts and parsed piece by piece, a file needs memory for one piece's tree at a
time. A piece ends before a line that starts in column 0 (not a
comment, a closing bracket or an `else` / `elif` / `except` / `finally`). Such a line may
still sit inside a string, brackets or a backslash continuation; then the text before it
is unterminated and does not parse: the rest of the file is then parsed at once. So every
piece that parses is parsed exactly as in the whole file, a file that does not parse raises
the error CPython gives for it, and no text is parsed more than twice (a failing piece, then
the rest from it), however the file fails. Each piece is preceded by blank lines, so that
its positions are the file's.
"""

from __future__ import annotations

import ast
import bisect
import gc
import re
from collections.abc import Iterator

PIECE = 16 * 1024  # characters of source parsed at once (more when a statement is longer)
_STATEMENT_START = re.compile(r"^(?![\s#)\]}]|(?:else|elif|except|finally)\b)", re.M)
_NEWLINE = re.compile(r"\r\n|\r|\n")


def parse_pieces(source: str, path: str = "<unknown>", piece: int = PIECE) -> Iterator[ast.Module]:
    """The file's top-level statements, as trees of consecutive statements in order.

    Raises what `ast.parse` raises for the whole file: SyntaxError, ValueError (a NUL
    byte), RecursionError or MemoryError (nesting too deep for CPython's parser).
    """
    if len(source) <= piece:
        yield _parse(source, path)
        return
    starts = [m.start() for m in _STATEMENT_START.finditer(source)]
    position, line = 0, 1
    while position < len(source):
        index = bisect.bisect_left(starts, position + piece)
        end = starts[index] if index < len(starts) else len(source)
        text = source[position:end]
        try:
            tree = _parse("\n" * (line - 1) + text, path)
        except SyntaxError:
            if end == len(source):
                raise
            # cut inside a string or brackets, or an error: the rest at once says which
            end = len(source)
            text = source[position:]
            tree = _parse("\n" * (line - 1) + text, path)
        yield tree
        del tree
        line += len(_NEWLINE.findall(text))
        position = end


def _parse(text: str, path: str) -> ast.Module:
    """`ast.parse` with the cyclic garbage collector paused: a tree has no cycles, and
    each of the collections its nodes would trigger walks every object alive (the
    findings and fixes of a large file: most of its parse time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text, path)
    finally:
        if enabled:
            gc.enable()
