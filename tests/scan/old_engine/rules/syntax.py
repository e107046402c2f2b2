"""TF001: a file that does not parse. The engine reports it (`engine.syntax_findings`)."""

from __future__ import annotations

from tests.scan.old_engine.rule import Rule, Severity


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
