"""Read Python 2 source: convert its syntax to Python 3 in memory, with a map of positions.

The scanner's rules look at CPython `ast` trees, and CPython parses only Python 3. A file
in Python 2 is therefore converted first: each construct Python 3 rejects (a `print`
statement, `except X, e:`, backquotes, `0777`, ...) is rewritten in the smallest span that
has a Python 3 spelling, every other character is kept, and the edits are remembered, so
that a position in the converted text maps back to the original line and column. The same
rules then run on the converted tree, and `tf2rec fix` writes the converted text.

The conversion reads the file with one regular expression (strings, comments, names,
numbers, operators and brackets), not with a Python 2 grammar: a pure-Python parser
(lib2to3 / fissix) costs about twenty times CPython's parse of the same file, and the
Python 3 parse of the converted text is the check that the file was Python 2 after all.
Nothing is imported from the file and nothing in it runs.
"""

from __future__ import annotations

import ast
import bisect
import os
import re
from dataclasses import dataclass
from functools import cached_property

from tf2rec.tools.scan.finding import Finding
from tf2rec.tools.scan.positions import Span

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\f]+|\\(?:\r\n|\r|\n))
  | (?P<comment>\#[^\r\n]*)
  | (?P<newline>\r\n|\r|\n)
  | (?P<string>(?:[uUbB]?[rR]?|[rR][bB]?)
        (?:'''(?:[^'\\]|\\.|'(?!''))*'''
          |\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
          |'(?:[^'\\\r\n]|\\.)*'
          |"(?:[^"\\\r\n]|\\.)*"))
  | (?P<name>[^\W\d]\w*)
  | (?P<number>(?:\d|\.\d)[\w.]*(?:(?<=[eE])[+-]\d+)?)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|<>|!=|->|[-+*/%&|^=<>]=?|[~@.,:;`]|[(\[{]|[)\]}])
  | (?P<other>.)
    """,
    re.X | re.S,
)
_OPEN, _CLOSE = "([{", ")]}"
_COMPOUND = frozenset(
    {"if", "elif", "else", "for", "while", "try", "except", "finally", "with", "def", "class"}
)
_OCTAL = re.compile(r"0[0-7]+[lL]?")
_LONG = re.compile(r"(?:0[xX][0-9a-fA-F]+|0[oObB]?[0-7]+|[1-9]\d*|0)[lL]")
_FUTURE_PRINT = re.compile(r"^from\s+__future__\s+import\s+[^#\r\n]*\bprint_function\b", re.M)


class Token:
    """One token: its kind (a group of `_TOKEN`), text, offset and bracket depth before it."""

    __slots__ = ("kind", "text", "start", "end", "depth")

    def __init__(self, kind: str, text: str, start: int, end: int, depth: int) -> None:
        self.kind, self.text, self.start, self.end, self.depth = kind, text, start, end, depth


@dataclass(frozen=True)
class SyntaxEdit:
    """A span of the original text (character offsets) and its Python 3 spelling, with the
    rule that reports it."""

    start: int
    end: int
    text: str
    rule_id: str
    at: int  # the construct the edit is part of: where it starts and ends
    until: int


@dataclass(frozen=True)
class Conversion:
    """A file's original text, its Python 3 text and the edits between them (in order)."""

    source: str
    text: str
    edits: tuple[SyntaxEdit, ...]

    @cached_property
    def _shifts(self) -> tuple[list[int], list[SyntaxEdit], list[int]]:
        starts, kept, shifted = [], [], []
        delta = 0
        for edit in self.edits:
            starts.append(edit.start + delta)
            kept.append(edit)
            delta += len(edit.text) - (edit.end - edit.start)
            shifted.append(delta)
        return starts, kept, shifted

    def original_offset(self, offset: int) -> int:
        """The offset in the original text of an offset in the converted one (a position
        inside rewritten text maps into the span it replaced)."""
        starts, edits, shifted = self._shifts
        index = bisect.bisect_right(starts, offset) - 1
        if index < 0:
            return offset
        edit = edits[index]
        inside = offset - starts[index]
        if inside < len(edit.text):
            return edit.start + min(inside, edit.end - edit.start)
        return offset - shifted[index]

    @cached_property
    def _line_starts(self) -> tuple[list[int], list[int]]:
        return _line_starts(self.text), _line_starts(self.source)

    def original_position(self, line: int, column: int) -> tuple[int, int]:
        """1-based line and column in the original text of a converted text's position."""
        converted, original = self._line_starts
        if not 0 < line <= len(converted):
            return line, column
        offset = self.original_offset(converted[line - 1] + column - 1)
        index = bisect.bisect_right(original, offset) - 1
        return index + 1, offset - original[index] + 1

    def original_span(self, span: Span) -> Span:
        line, column = self.original_position(span[0], span[1])
        end_line, end_column = self.original_position(span[2], span[3])
        return line, column, end_line, end_column

    def original_finding(self, finding: Finding) -> Finding:
        """A finding on the converted text, placed on the original."""
        line, column, end_line, end_column = self.original_span(
            (finding.line, finding.column, finding.end_line, finding.end_column)
        )
        return finding._replace(line=line, column=column, end_line=end_line, end_column=end_column)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset in the original text."""
        original = self._line_starts[1]
        index = bisect.bisect_right(original, offset) - 1
        return index + 1, offset - original[index] + 1


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]


def tokens(source: str) -> list[Token]:
    """The file's tokens with their bracket depth: the significant ones, line ends, and the
    space that starts a line (comments and other spaces are left out)."""
    out: list[Token] = []
    append = out.append
    depth = 0
    line_start = True
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind == "space":
            if line_start:
                append(Token(kind, match.group(), match.start(), match.end(), depth))
            continue
        if kind == "comment":
            continue
        line_start = kind == "newline"
        text = match.group()
        if kind == "op":
            if text in _CLOSE:
                depth = max(depth - 1, 0)
            append(Token(kind, text, match.start(), match.end(), depth))
            if text in _OPEN:
                depth += 1
            continue
        append(Token(kind, text, match.start(), match.end(), depth))
    return out


def statements(toks: list[Token]) -> list[list[Token]]:
    """Simple statements as lists of their significant tokens: a logical line, split at `;`
    and after the `:` of a compound statement's header (`if x: print y`)."""
    found: list[list[Token]] = []
    current: list[Token] = []
    for token in toks:
        kind = token.kind
        if kind == "space":
            continue
        if kind == "newline":
            if token.depth == 0 and current:
                found.append(current)
                current = []
            continue
        if token.depth == 0 and token.text == ";" and kind == "op":
            if current:
                found.append(current)
            current = []
            continue
        current.append(token)
        if (
            kind == "op"
            and token.text == ":"
            and token.depth == 0
            and current[0].text in _COMPOUND
            and current[0].kind == "name"
            and not any(t.text == ":" and t.depth == 0 for t in current[:-1])
            and not any(t.text == "lambda" for t in current)
        ):
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def _closing(statement: list[Token], index: int) -> int:
    """Index of the bracket closing the one at `index`."""
    depth = statement[index].depth
    for j in range(index + 1, len(statement)):
        token = statement[j]
        if token.kind == "op" and token.text in _CLOSE and token.depth == depth:
            return j
    return len(statement) - 1


def _top_commas(statement: list[Token], start: int, depth: int) -> list[int]:
    return [
        j
        for j in range(start, len(statement))
        if statement[j].text == "," and statement[j].depth == depth and statement[j].kind == "op"
    ]


class _Converter:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = tokens(source)
        self.edits: list[SyntaxEdit] = []
        self.print_function = _FUTURE_PRINT.search(source) is not None
        self.construct: tuple[int, int] | None = None  # of the edits being made

    def edit(self, start: int, end: int, text: str, rule_id: str) -> None:
        at, until = self.construct or (start, end)
        self.edits.append(SyntaxEdit(start, end, text, rule_id, at, until))

    def _take(self, start: int, end: int) -> str:
        """The converted text of a span that a statement's edit moves: the edits inside it
        (made token by token, before the statements) are applied here and dropped."""
        inside = [e for e in self.edits if start <= e.start and e.end <= end]
        self.edits = [e for e in self.edits if e not in inside]
        pieces, done = [], start
        for edit in sorted(inside, key=lambda e: (e.start, e.end)):
            pieces += [self.source[done : edit.start], edit.text]
            done = edit.end
        return "".join([*pieces, self.source[done:end]])

    def run(self) -> Conversion:
        self._tabs()
        for token in self.toks:
            self._token(token)
        found = statements(self.toks)
        if not any(map(_print_statement, found)):  # every print a call: Python 3's already
            self.print_function = True
        for index, statement in enumerate(found):
            self._statement(statement)
            if statement[0].text == "def" and statement[0].kind == "name":
                self._tuple_params(statement, found[index + 1 : index + 2])
        edits = sorted(self.edits, key=lambda e: (e.start, e.end))
        pieces, done = [], 0
        for edit in edits:
            pieces += [self.source[done : edit.start], edit.text]
            done = edit.end
        pieces.append(self.source[done:])
        return Conversion(self.source, "".join(pieces), tuple(edits))

    def _token(self, token: Token) -> None:
        """Spellings Python 3 lost, one token each: `<>`, `0777`, `10L`, `ur''`."""
        if token.kind == "string" and token.text[:2].lower() == "ur":
            self.edit(token.start, token.end, raw_unicode(token.text[1:]), "PY210")
        elif token.kind == "op" and token.text == "<>":
            self.edit(token.start, token.end, "!=", "PY206")
        elif token.kind == "number":
            text = token.text
            if _OCTAL.fullmatch(text) and text.rstrip("lL") != "0" * len(text.rstrip("lL")):
                self.edit(token.start, token.end, "0o" + text.rstrip("lL").lstrip("0"), "PY205")
            elif _LONG.fullmatch(text):
                self.edit(token.start, token.end, text[:-1], "PY205")

    def _tabs(self) -> None:
        """Indentation that mixes tabs and spaces, which Python 3 refuses: each logical
        line's indentation written with spaces, a tab reaching the next multiple of eight
        columns, as Python 2 read it."""
        if "\t" not in self.source:
            return
        lines = [t for t in self._indents() if t.text]
        if not any("\t" in t.text for t in lines) or not any(" " in t.text for t in lines):
            return
        for token in lines:
            if "\t" in token.text:
                self.edit(token.start, token.end, token.text.expandtabs(8), "PY208")

    def _indents(self) -> list[Token]:
        """The space before the first token of each logical line."""
        found, at_start, previous = [], True, None
        for token in self.toks:
            if token.kind == "newline":
                at_start = token.depth == 0
                previous = None
                continue
            if not at_start:
                continue
            if token.kind == "space" and not token.text.startswith("\\"):
                previous = token
                continue
            if token.kind != "comment":
                if previous is not None and previous.start == _line_start(self.source, token):
                    found.append(previous)
                at_start = False
            previous = None
        return found

    def _statement(self, statement: list[Token]) -> None:
        first = statement[0]
        if first.kind != "name":
            self._backquotes(statement)
            return
        self.construct = (first.start, statement[-1].end)
        if first.text == "print" and not self.print_function:
            self._print(statement)
        elif first.text == "exec":
            self._exec(statement)
        elif first.text == "except":
            self._except(statement)
        elif first.text == "raise":
            self._raise(statement)
        self.construct = None
        self._tuple_lambdas(statement)
        self._backquotes(statement)

    def _backquotes(self, statement: list[Token]) -> None:
        opened = None
        for token in statement:
            if token.kind == "op" and token.text == "`":
                if opened is None:
                    opened = token
                else:
                    self.construct = (opened.start, token.end)
                    self.edit(opened.start, opened.end, "repr(", "PY204")
                    self.edit(token.start, token.end, ")", "PY204")
                    self.construct = opened = None

    def _tuple_lambdas(self, statement: list[Token]) -> None:
        """`lambda (k, v): e`, a tuple parameter Python 3 lost, becomes
        `lambda k_v: (lambda k, v: e)(*k_v)`: the same call, unpacked the same way."""
        for index, token in enumerate(statement[:-1]):
            if token.text != "lambda" or statement[index + 1].text != "(":
                continue
            close = _closing(statement, index + 1)
            names = _tuple_names(statement[index + 2 : close])
            if not names or close + 2 >= len(statement) or statement[close + 1].text != ":":
                continue
            end = self._expression_end(statement, close + 2, token.depth)
            joined = self._fresh("_".join(names))
            self.construct = (token.start, statement[end].end)
            self.edit(statement[index + 1].start, statement[close].end, joined, "PY209")
            if any(t.text == "(" for t in statement[index + 2 : close]):  # nested: a loop unpacks
                target = self.source[statement[index + 2].start : statement[close - 1].end]
                body = statement[close + 2]
                self.edit(body.start, body.start, "[", "PY209")
                after = f" for {target} in [{joined}]][0]"
                self.edit(statement[end].end, statement[end].end, after, "PY209")
            else:
                colon = statement[close + 1]
                self.edit(colon.end, colon.end, f" (lambda {', '.join(names)}:", "PY209")
                self.edit(statement[end].end, statement[end].end, f")(*{joined})", "PY209")
            self.construct = None

    def _fresh(self, name: str) -> str:
        """`name`, with `_` added until no name in the file is spelled so."""
        while re.search(rf"\b{name}\b", self.source):
            name += "_"
        return name

    def _tuple_params(self, header: list[Token], body: list[list[Token]]) -> None:
        """`def f(a, (b, c)):` -> `def f(a, b_c):` with `(b, c) = b_c` as the body's first
        statement (after the docstring): Python 2 unpacked it on entry, before the body."""
        opened = next((i for i, t in enumerate(header) if t.text == "(" and t.kind == "op"), None)
        if opened is None or not body:
            return
        close = _closing(header, opened)
        unpack = []
        starts = [opened, *_top_commas(header[:close], opened + 1, header[opened].depth + 1)]
        for start in starts:
            first = start + 1
            if header[first].text != "(" or header[first].depth != header[opened].depth + 1:
                continue
            end = _closing(header, first)
            names = _tuple_names(header[first + 1 : end])
            if not names:
                continue
            joined = self._fresh("_".join(names))
            self.construct = (header[first].start, header[end].end)
            self.edit(header[first].start, header[end].end, joined, "PY209")
            unpack.append((self.source[header[first].start : header[end].end], joined))
        if unpack:
            self._unpack_on_entry(header, body[0], unpack)
        self.construct = None

    def _unpack_on_entry(self, header, first: list[Token], unpack) -> None:
        """Insert `(b, c) = b_c` where the function's body starts (after a docstring)."""
        text = "; ".join(f"{target} = {name}" for target, name in unpack)
        docstring = len(first) == 1 and first[0].kind == "string"
        same_line = not _line_break(self.source, header[-1].end, first[0].start)
        if same_line:
            at, insert = (
                (first[-1].end, f"; {text}") if docstring else (first[0].start, text + "; ")
            )
        else:
            line_start = _line_start(self.source, first[0])
            indent = self.source[line_start : first[0].start]
            newline = _newline_before(self.source, line_start)
            if docstring:
                at, insert = first[-1].end, f"{newline}{indent}{text}"
            else:
                at, insert = first[0].start, f"{text}{newline}{indent}"
        self.edit(at, at, insert, "PY209")

    @staticmethod
    def _expression_end(statement: list[Token], start: int, depth: int) -> int:
        """Index of the last token of the expression starting at `start` (a lambda's
        body): up to a `,` or a closing bracket at `depth`, or the statement's end."""
        end = start
        for j in range(start, len(statement)):
            token = statement[j]
            if token.depth == depth and token.kind == "op" and token.text in (",", *_CLOSE):
                break
            if token.depth < depth:
                break
            end = j
        return end

    def _print(self, statement: list[Token]) -> None:
        """`print x, y` -> `print(x, y)`; `print >>f, x` -> `print(x, file=f)`; a trailing
        comma -> `end=" "`; `print (a, b)`, a tuple in Python 2 -> `print((a, b))`."""
        first = statement[0]
        if len(statement) == 1:
            self.edit(first.end, first.end, "()", "PY201")
            return
        second = statement[1]
        if (
            second.kind == "op"
            and second.text in ("=", ".", "+=")
            or second.text == "("
            and (
                _closing(statement, 1) == len(statement) - 1
                and not _top_commas(statement[:-1], 2, second.depth + 1)
            )
        ):
            return  # `print(x)`: the same in both
        end = statement[-1].end
        args = statement[1:]
        destination = None
        if second.text == ">>":
            commas = _top_commas(statement, 2, first.depth)
            stop = commas[0] if commas else len(statement)
            destination = self._take(statement[2].start, statement[stop - 1].end)
            args = statement[stop + 1 :] if commas else []
        trailing = bool(args) and args[-1].text == "," and args[-1].depth == first.depth
        if trailing:
            args = args[:-1]
        extra = []
        if trailing:
            extra.append('end=" "')
        if destination is not None:
            extra.append(f"file={destination}")
        if destination is None and not trailing:
            self.edit(first.end, second.start, "(", "PY201")
            self.edit(end, end, ")", "PY201")
            return
        if not args:
            self.edit(first.end, end, "(" + ", ".join(extra) + ")", "PY201")
            return
        self.edit(first.end, args[0].start, "(", "PY201")
        self.edit(args[-1].end, end, ", " + ", ".join(extra) + ")", "PY201")

    def _exec(self, statement: list[Token]) -> None:
        """`exec code in g, l` -> `exec(code, g, l)`."""
        if len(statement) == 1 or statement[1].text == "(":
            return
        first = statement[0]
        parts = [i for i, t in enumerate(statement) if t.text == "in" and t.depth == first.depth]
        if parts:
            self.edit(statement[parts[0] - 1].end, statement[parts[0]].end, ",", "PY207")
        self.edit(first.end, statement[1].start, "(", "PY207")
        self.edit(statement[-1].end, statement[-1].end, ")", "PY207")

    def _except(self, statement: list[Token]) -> None:
        """`except (A, B), e:` -> `except (A, B) as e:`."""
        commas = _top_commas(statement, 1, statement[0].depth)
        if len(commas) == 1:
            comma = statement[commas[0]]
            after = self.source[comma.end : comma.end + 1]
            self.edit(comma.start, comma.end, " as" if after.isspace() else " as ", "PY202")

    def _raise(self, statement: list[Token]) -> None:
        """`raise E, V` -> `raise E(V)`; `raise E, V, T` -> `raise E(V).with_traceback(T)`."""
        commas = _top_commas(statement, 1, statement[0].depth)
        if not commas or len(commas) > 2:
            return
        value_end = commas[1] if len(commas) == 2 else len(statement)
        if value_end == commas[0] + 1:
            return
        self.edit(statement[commas[0]].start, statement[commas[0] + 1].start, "(", "PY203")
        if len(commas) == 1:
            self.edit(statement[-1].end, statement[-1].end, ")", "PY203")
            return
        trace = self._take(statement[commas[1] + 1].start, statement[-1].end)
        self.edit(
            statement[value_end - 1].end, statement[-1].end, f").with_traceback({trace})", "PY203"
        )


def _tuple_names(inner: list[Token]) -> list[str]:
    """The names of a tuple parameter's tokens inside its parentheses (`k, (a, b)`), or []
    when they hold anything else (a default, a star)."""
    if not inner or any(t.kind not in ("name", "op") for t in inner):
        return []
    if any(t.kind == "op" and t.text not in ",()" for t in inner):
        return []
    return [t.text for t in inner if t.kind == "name"]


def _line_break(source: str, start: int, end: int) -> bool:
    return "\n" in source[start:end] or "\r" in source[start:end]


def _newline_before(source: str, line_start: int) -> str:
    """The line ending that ends the line before `line_start`."""
    return (
        "\r\n" if source[max(line_start - 2, 0) : line_start] == "\r\n" else source[line_start - 1]
    )


def raw_unicode(literal: str) -> str:
    """Python 3's spelling of the Python 2 `ur'...'` literal whose `r'...'` part is given:
    Python 2 still read `\\uXXXX` and `\\UXXXXXXXX` in it (after an odd run of backslashes)
    and kept every other backslash; without such an escape it is Python 3's `r'...'`."""
    quote = literal[1:4] if literal[1:4] in ("'''", '"""') else literal[1]
    body = literal[1 + len(quote) : -len(quote)]
    escape = re.compile(r"(?<!\\)((?:\\\\)*)\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")
    if not escape.search(body):
        return literal
    out, done = [], 0
    for match in escape.finditer(body):
        out.append(_escaped(body[done : match.start()] + match.group(1), quote))
        out.append("\\" + match.group(2))
        done = match.end()
    out.append(_escaped(body[done:], quote))
    return quote + "".join(out) + quote


def _escaped(text: str, quote: str) -> str:
    """Raw text as the body of a non-raw literal closed by `quote`."""
    text = text.replace("\\", "\\\\")
    return text if len(quote) == 3 else text.replace(quote, "\\" + quote)


def _print_statement(statement: list[Token]) -> bool:
    """`print`, `print x`, `print >>f, x`: not a call of print."""
    first = statement[0]
    if first.kind != "name" or first.text != "print":
        return False
    return len(statement) == 1 or statement[1].text not in ("(", "=", ".", "+=", ",", ")")


def _line_start(source: str, token: Token) -> int:
    return max(source.rfind("\n", 0, token.start), source.rfind("\r", 0, token.start)) + 1


def to_python3(source: str) -> Conversion:
    """The Python 3 spelling of a Python 2 file's syntax, and the edits that make it (an
    empty list for a file with nothing to convert). The caller checks that the result
    parses: a file that is neither Python 2 nor 3 stays invalid.

    `print (a, b)` printed a tuple in Python 2 and becomes `print((a, b))`, in a file that
    has print statements; in one whose every `print` is a call (and so was written for
    both), calls are left as they are."""
    return _Converter(source).run()


# what only Python 2 has: its builtins, `dict.has_key`, its module names, `print >>f`
_PYTHON2_WORDS = (
    "xrange", "raw_input", "unicode", "basestring", "unichr", "execfile", "has_key", "cPickle",
    "cStringIO", "urllib2",
)  # fmt: skip
_MARKERS = re.compile(r"\b(?:" + "|".join(_PYTHON2_WORDS) + r")\b|\bprint\s*>>")
# code written for both: its Python 2 names are guarded
_BOTH = re.compile(
    r"\bsix\b|sys\.version_info|\bPY[23]\b|^[ \t]*from[ \t]+(?:builtins|future|past)\b", re.M
)
# a text holding none of a pattern's words cannot match it: the substring tests are many
# times faster than the search, and most files hold none
_MARKER_WORDS = (*_PYTHON2_WORDS, ">>")
_BOTH_WORDS = ("six", "version_info", "PY2", "PY3", "builtins", "future", "past")


def _may_match(pattern: re.Pattern, words: tuple[str, ...], source: str) -> bool:
    return any(word in source for word in words) and pattern.search(source) is not None


PYTHON2_BUILTINS = frozenset(
    {"xrange", "raw_input", "unicode", "basestring", "unichr", "execfile", "long"}
)
PYTHON2_MODULES = frozenset({"cPickle", "cStringIO", "urllib2"})


_TOP_IMPORT = re.compile(
    r"^(?:import[ \t]+(\w+)[ \t]*(?:as[ \t]+\w+[ \t]*)?$|from[ \t]+(\w+)[ \t]+import\b)", re.M
)
_MAIN = re.compile(r"^if[ \t]+__name__[ \t]*==", re.M)


def imports_siblings(source: str, path: str) -> bool:
    """Whether a module of a package (a folder with `__init__.py`, no `__main__` block)
    imports a module of its own folder by its bare name at the top level (`import layers`):
    an implicit relative import, which only Python 2 resolves."""
    names = {a or b for a, b in _TOP_IMPORT.findall(source)} - {"__future__"}
    if not names or "absolute_import" in source or _MAIN.search(source):
        return False
    folder = os.path.dirname(path)  # os.path, not pathlib: this runs for every file scanned
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return False
    return any(
        os.path.isfile(os.path.join(folder, f"{name}.py"))
        or os.path.isfile(os.path.join(folder, name, "__init__.py"))
        for name in names
    )


def is_python2(source: str, path: str | None = None) -> bool:
    """Whether a file that Python 3 parses is Python 2 all the same: it has `print >>f`,
    calls a builtin only Python 2 has (`xrange`, `unicode`, ... none of them bound in the file),
    `.has_key(...)`, or imports `cPickle`, `cStringIO` or `urllib2` outside a
    `try: ... except ImportError:`, or (given its `path`) imports a module of its own
    package by its bare name. A file written for both (six, `sys.version_info`,
    `from builtins import ...`) is not."""
    if _may_match(_BOTH, _BOTH_WORDS, source):
        return False
    if path is not None and imports_siblings(source, path):
        return True
    if not _may_match(_MARKERS, _MARKER_WORDS, source):
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # the caller finds out
    bound = bound_names(tree)
    guarded = {
        id(alias)
        for node in ast.walk(tree)
        if isinstance(node, ast.Try) and node.handlers
        for statement in node.body
        if isinstance(statement, ast.Import | ast.ImportFrom)
        for alias in statement.names
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id in PYTHON2_BUILTINS and node.id not in bound:
                return True
        elif isinstance(node, ast.BinOp):  # `print >>f, x`: Python 3 shifts the function
            left = node.left
            if isinstance(node.op, ast.RShift) and isinstance(left, ast.Name):
                if left.id == "print" and "print" not in bound:
                    return True
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "has_key" and len(node.args) == 1:
                return True
        elif isinstance(node, ast.Import):
            if any(a.name in PYTHON2_MODULES and id(a) not in guarded for a in node.names):
                return True
    return False


def bound_names(tree: ast.AST) -> set[str]:
    """Every name the module binds anywhere (assigned, imported, defined, a parameter)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).partition(".")[0])
    return bound
