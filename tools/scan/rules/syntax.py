"""TF001: a file that does not parse."""

from __future__ import annotations

import re

import libcst as cst

from tf2rec.tools.scan.rule import Finding, Rule, Severity

_PYTHON2 = [
    (re.compile(r"^\s*print\s+(?![\s(=])\S"), "a Python 2 print statement"),
    (re.compile(r"^\s*print\s*$"), "a Python 2 print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "Python 2 `except X, e:`"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "Python 2 `raise X, message`"),
    (re.compile(r"^\s*exec\s+[\"'\w]"), "a Python 2 exec statement"),
    (re.compile(r"<>"), "the Python 2 `<>` operator"),
    (re.compile(r"`[^`\n]+`"), "Python 2 backquotes"),
    (re.compile(r"\b\d+[lL]\b"), "a Python 2 long literal"),
    (re.compile(r"(?<![\w.])0\d+\b"), "a Python 2 octal literal"),
]


class SyntaxErrorRule(Rule):
    """The file is not valid Python 3, so nothing else in it can be checked or fixed. TF1
    projects often still hold Python 2 files; run them through a Python 2 -> 3 converter
    (or fix the line) first, then scan again. The file is never modified."""

    id = "TF001"
    name = "syntax-error"
    severity = Severity.ERROR
    fixed_severity = True
    message = "file does not parse: {name}"
    replacement = "make the file valid Python 3 (e.g. `print(x)`), then scan again"
    VALID = ["import tensorflow as tf\nprint(tf.__version__)\n"]
    INVALID = ["import tensorflow as tf\nprint tf.__version__\n"]


def syntax_findings(
    path: str, source: str, error: SyntaxError | ValueError | cst.ParserSyntaxError
) -> list[Finding]:
    """The TF001 finding for a file that CPython's parser (or, rarely, libcst's) rejects.

    CPython's parser runs first: it is fast, words the error best, and rejects Python 2
    constructs (`except X, e:`) that libcst would accept.
    """
    if isinstance(error, cst.ParserSyntaxError):
        line, column = error.raw_line, error.raw_column + 1
        reason = error.message.splitlines()[0]
    else:
        line = getattr(error, "lineno", None) or 1
        column = max(getattr(error, "offset", None) or 1, 1)
        reason = getattr(error, "msg", str(error))
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = next((why for pattern, why in _PYTHON2 if pattern.search(text)), None)
    if hint is None:  # the error may sit after the Python 2 construct
        hint = next(
            (why for pattern, why in _PYTHON2[:5] for t in lines if pattern.search(t)), None
        )
    detail = f"{reason} (line {line} has {hint}: this looks like Python 2)" if hint else reason
    return [
        Finding(
            path,
            line,
            column,
            SyntaxErrorRule.id,
            Severity.ERROR,
            SyntaxErrorRule.message.format(name=detail),
            line,
            column,
        )
    ]
