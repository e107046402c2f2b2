"""The `ast` engine finds and fixes exactly what the libcst engine it replaces did, on every
fixture, the legacy models, the benchmark's templates and every rule's examples."""

from pathlib import Path

import pytest

from tests.scan.old_engine.engine import scan_source as old_scan
from tests.scan.old_engine.fixer import fix_source as old_fix
from tests.scan.old_engine.rules import RULES as OLD_RULES
from tf2rec.tools.scan.engine import scan_source
from tf2rec.tools.scan.fixer import fix_source
from tf2rec.tools.scan.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [
        *ROOT.glob("tests/fixtures/**/*.py"),
        *ROOT.glob("legacy/*.py"),
        *ROOT.glob("migrated/*.py"),
        *ROOT.glob("tools/bench/templates/*.py"),
    ]
)
EXAMPLES = [
    code
    for rule in RULES
    if rule.id != "TF002"  # the old engine crashed on these
    for code in (*rule.VALID, *rule.INVALID, *(text for pair in rule.FIXES for text in pair))
]

# what the examples lack: other characters, line ends, layouts and nesting
EXAMPLES += [
    "import tensorflow as tf\r\nname = 'é€'; y = tf.log(x)  # ünï\r\n"
    "z = tf.to_float(tf.log1p(x))\r\n",
    "import numpy as np; import tensorflow as tf\ns = tf.Session()\n",
    "from tensorflow import (  # the old names\n    gfile,\n    Session as S,  # a session\n"
    "    constant,\n)\nf = gfile.GFile(p); s = S()\n",
    "import os; from tensorflow import gfile\n",
    "try:\n    from tensorflow import gfile  # py3\nexcept ImportError:\n    gfile = None\n",
    "import tensorflow as tf\ny = tf.nn.dropout(\n    x,  # input\n    keep_prob = 0.5,\n)\n",
    "import tensorflow as tf\n\n\n@tf.function\ndef f(x, log=tf.log):\n    tf = None\n"
    "    return {tf.log: tf.log(x), 'k': tf.random_normal([1])}\n",
    "import tensorflow as tf\nx = tf.placeholder(tf.float32)\n",
    "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n'''Doc.'''\nimport tensorflow as tf\n"
    'x = tf.compat.v1.placeholder(tf.float32)\nif __name__ == "__main__":\n    pass\n',
    "import tensorflow as tf\ns = tf.reduce_sum(\tx,\treduction_indices=1,\n\tkeep_dims=True)\n",
    "import tensorflow as tf\nd = x.shape[1].value\nv = f'{tf.log(x)}'\n",
]


def _plain(findings) -> list[tuple]:
    """Findings as tuples (the two engines have their own Severity classes), without where
    they end: the old engine ended an attribute inside a chain (`self.compiled_loss` in
    `self.compiled_loss.update_state`) where the whole chain ends; checked by `_ends`."""
    return [
        (f.path, f.line, f.column, f.rule_id, f.severity.label, f.message, f.fixable)
        for f in findings
    ]


def _ends(new, old) -> None:
    for a, b in zip(new, old, strict=True):
        assert (a.end_line, a.end_column) == (b.end_line, b.end_column) or (
            (a.line, a.column) < (a.end_line, a.end_column) < (b.end_line, b.end_column)
        )


def _both(path: str, source: str):
    new = scan_source(path, source, [rule() for rule in RULES])
    old = old_scan(path, source, [rule() for rule in OLD_RULES])
    _ends(new, old)
    return _plain(new), _plain(old)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_findings_and_fixes_on_files(path):
    source = path.read_text()
    new, old = _both(str(path), source)
    assert new == old
    for unsafe in (False, True):
        new_fix = fix_source(str(path), source, [r() for r in RULES], unsafe_fixes=unsafe)
        old_fixed = old_fix(str(path), source, [r() for r in OLD_RULES], unsafe_fixes=unsafe)
        assert new_fix.fixed == old_fixed.fixed
        assert _plain(new_fix.remaining) == _plain(old_fixed.remaining)
        assert _plain(new_fix.applied) == _plain(old_fixed.applied)


def test_same_findings_and_fixes_on_rule_examples():
    for code in EXAMPLES:
        new, old = _both("example.py", code)
        assert new == old, code
        for unsafe in (False, True):
            new_fix = fix_source("example.py", code, [r() for r in RULES], unsafe_fixes=unsafe)
            old_fixed = old_fix("example.py", code, [r() for r in OLD_RULES], unsafe_fixes=unsafe)
            assert new_fix.fixed == old_fixed.fixed, code
            assert _plain(new_fix.remaining) == _plain(old_fixed.remaining), code
