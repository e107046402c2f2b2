"""`tf2rec fix --run-as-tf1`: one file made to run on TF 2.21 as the TF1 program it was.

The other `fix` keeps moving code towards TF2 / Keras 3; this mode keeps it TF1 code. Its
steps, for each file: Python 2 to Python 3 (a TF1 repository of 2017 often is Python 2),
then the rules of the mode (`rules/run_as_tf1.py`: TF1 names through `tf.compat.v1`, the
modules TF 2.21 lost onto tf2rec.tf1, `disable_v2_behavior()` where the program starts).
The fixed text must parse, as every fix's must; a line the mode cannot convert stays as it
was and is a finding left (an error naming the API and what to do).
"""

from __future__ import annotations

from collections.abc import Iterable

from tf2rec.tools.scan.fixer import fix_source
from tf2rec.tools.scan.results import FileFix
from tf2rec.tools.scan.rule import Rule
from tf2rec.tools.scan.rules import RULES


def python3_text(path: str, source: str) -> str:
    """The file as Python 3: the Python 2 rules' exact fixes (`rules/python2.py`: the
    syntax, `xrange`, `iteritems`, `cPickle`, relative imports of package modules, ...),
    as `tf2rec fix` applies them; Python 3 text, or text that cannot be converted, as it is
    (the mode's own pass then reports it as not parsing, TF001, and it is not written)."""
    python2_rules = [rule() for rule in RULES if rule.id.startswith("PY2")]
    converted = fix_source(path, source, python2_rules)
    return converted.fixed if converted.error is None else source


def fix_as_tf1(path: str, source: str, rules: Iterable[Rule]) -> FileFix:
    """The file's text run as TF1 code: its diff and findings are against what it holds."""
    text = python3_text(path, source)
    result = fix_source(path, text, rules)
    result.source = source
    if result.error is not None:
        result.fixed = source  # left as it was, Python 2 conversion included
    return result
