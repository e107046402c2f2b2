"""Files the scanner cannot look into. The engine reports them (`engine.syntax_findings`,
`engine.too_deep_findings`)."""

from __future__ import annotations

from tf2rec.tools.scan.rule import Rule, Severity


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


class TooDeepRule(Rule):
    """The file is nested more deeply than CPython's parser allows (a generated expression
    with tens of thousands of terms, say), or too large to analyse in the memory there is.
    Python itself cannot compile it either. The other files are scanned as usual; this one
    is reported so that it is not taken for clean."""

    id = "TF002"
    name = "too-deep"
    severity = Severity.ERROR
    fixed_severity = True
    message = "file not analysed: {name}"
    replacement = "split the generated expression into smaller statements"
    VALID = ["import tensorflow as tf\nx = " + "-" * 100 + "1\n"]
    INVALID = [
        "import tensorflow as tf\nx = " + "-" * 5000 + "1\n",
        "import tensorflow as tf\nx = " + "+".join(["1"] * 5000) + "\n",
    ]
