"""Parse a file with CPython's `ast`, a group of top-level statements at a time.

A tree of `ast` nodes takes many times the size of its source. Split where a top-level
statement starts and parsed piece by piece, a file needs memory for one piece's tree at a
time. A piece ends before a line that starts in column 0 (not a
comment, a closing bracket or an `else` / `elif` / `except` / `finally`). Such a line may
still sit inside a string, brackets or a backslash continuation; then the text before it
is unterminated and does not parse, and the piece is doubled until it does (up to
MAX_STATEMENT characters). Any other error is the file's own: it is raised at once (a Python
2 file is read by this grammar once). So every piece that parses is parsed exactly as in the
whole file, and a file that does not parse raises the error CPython gives for it. Each
piece is preceded by blank lines, so that its positions are the file's.
"""

from __future__ import annotations

import ast
import bisect
import gc
import re
from collections.abc import Iterator

PIECE = 16 * 1024  # characters of source parsed at once (more when a statement is longer)
# The longest top-level statement parsed: CPython's parser needs up to ~350 bytes a character
# for the densest code (a literal list of a million small ints), so this bounds a piece's
# memory near 200 MB; a hand-written class or function stays far below it.
MAX_STATEMENT = 512 * 1024


class StatementTooLong(Exception):
    """A top-level statement longer than MAX_STATEMENT characters: not parsed."""

    def __init__(self, line: int):
        super().__init__(
            f"the statement at line {line} is longer than the {MAX_STATEMENT:,} characters "
            "tf2rec parses at once; skipped (a generated file? exclude it with --exclude)"
        )
        self.line = line


_STATEMENT_START = re.compile(r"^(?![\s#)\]}]|(?:else|elif|except|finally)\b)", re.M)
_NEWLINE = re.compile(r"\r\n|\r|\n")


def parse_pieces(source: str, path: str = "<unknown>", piece: int = PIECE) -> Iterator[ast.Module]:
    """The file's top-level statements, as trees of consecutive statements in order.

    Raises what `ast.parse` raises for the whole file: SyntaxError, ValueError (a NUL
    byte), RecursionError or MemoryError (nesting too deep for CPython's parser); and
    StatementTooLong for a statement too long to parse at once.
    """
    if len(source) <= piece:
        yield _parse(source, path)
        return
    # a decorated definition starts at its first decorator, not at its `def` / `class`
    starts = [
        m.start()
        for m in _STATEMENT_START.finditer(source)
        if not source.startswith("@", source.rfind("\n", 0, max(m.start() - 1, 0)) + 1)
    ]
    position, line = 0, 1
    while position < len(source):
        size = piece
        while True:
            index = bisect.bisect_left(starts, position + size)
            end = starts[index] if index < len(starts) else len(source)
            text = source[position:end]
            try:
                tree = _parse("\n" * (line - 1) + text, path)
            except SyntaxError as err:
                if end == len(source) or not _cut_short(err):
                    raise  # an error of the file's own, where CPython finds it in the whole
                size *= 2  # doubling keeps a long string or statement at O(n log n)
                if size > MAX_STATEMENT:  # CPython names the line of the unclosed bracket
                    raise StatementTooLong(err.lineno or line) from None
                continue
            break
        yield tree
        del tree
        line += len(_NEWLINE.findall(text))
        position = end


def _cut_short(err: SyntaxError) -> bool:
    """Whether a piece failed only because it ends inside a bracket, a string or a
    backslash continuation (any other error is the file's and stays in a longer piece)."""
    message = err.msg or ""
    return any(sign in message for sign in ("never closed", "unterminated", "unexpected EOF"))


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
