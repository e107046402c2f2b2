"""Every rule's own cases, as Fixit runs a rule's VALID and INVALID lists: an invalid case
gives exactly its expected findings (line, column, message) and, where it says so, exactly its
fixed text; a valid case gives none. And every rule's page."""

import importlib

import pytest

from tf2rec.tools.scan.engine import scan_source
from tf2rec.tools.scan.fixer import fix_source
from tf2rec.tools.scan.reports import page_example, rule_page
from tf2rec.tools.scan.rule import Expect
from tf2rec.tools.scan.rules import RULES

CASES = [(rule, i) for rule in RULES for i in range(len(rule.INVALID))]


def findings(code: str, rule, path: str = "example.py") -> list[Expect]:
    return [
        Expect(f.line, f.column, f.message)
        for f in scan_source(path, code, [rule()])
        if f.rule_id == rule.id
    ]


@pytest.mark.parametrize("rule, index", CASES, ids=lambda x: getattr(x, "id", str(x)))
def test_invalid_case_gives_exactly_its_findings(rule, index):
    case = rule.INVALID[index]
    assert findings(case.code, rule, case.path) == list(case.expected)


@pytest.mark.parametrize("rule, index", CASES, ids=lambda x: getattr(x, "id", str(x)))
def test_invalid_case_is_fixed_to_exactly_its_text(rule, index):
    case = rule.INVALID[index]
    unsafe = not rule.safe_fix  # an opt-in fix is applied only when asked for
    result = fix_source(case.path, case.code, [rule()], unsafe_fixes=unsafe).fixed
    assert result == (case.fixed if case.fixed is not None else case.code)
    if case.fixed is not None:
        again = fix_source(case.path, case.fixed, [rule()], unsafe_fixes=unsafe).fixed
        assert again == case.fixed, "a second fix changed the fixed text"
    if unsafe:
        assert fix_source("example.py", case.code, [rule()]).fixed == case.code


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_valid_cases_are_not_reported(rule):
    assert rule.VALID, f"{rule.id} has no valid case"
    for case in rule.VALID:
        assert findings(case.code, rule) == [], case.code


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_an_invalid_case_and_a_fixable_rule_two_fixed_ones(rule):
    assert rule.INVALID, f"{rule.id} has no invalid case"
    fixed = [case for case in rule.INVALID if case.fixed is not None]
    assert not fixed or len(fixed) >= 2, f"{rule.id} fixes code in only one case"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_page_has_every_section(rule):
    page = rule_page(rule)
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                    "## Severity", "## Fix safety"):  # fmt: skip
        assert heading in page
    assert page_example(rule.INVALID[0].code) in page and rule.replacement in page
    assert rule.describe()
    if rule.fixable():
        assert ("Safe:" if rule.safe_fix else "Unsafe:") in page


def test_a_rule_that_reports_a_gone_name_lists_both_severities():
    """TF101 is a warning through compat.v1 and an error through `tensorflow`: the listing
    says both, and each case's finding carries the one its import gives."""
    (session,) = [r for r in RULES if r.id == "TF101"]
    assert session.severity_label() == "error/warning"
    tf2 = "import tensorflow as tf\nsess = tf.Session()\n"
    v1 = "import tensorflow.compat.v1 as tf\nsess = tf.Session()\n"
    assert [f.severity.label for f in scan_source("a.py", tf2, [session()])] == ["error"]
    assert [f.severity.label for f in scan_source("a.py", v1, [session()])] == ["warning"]


def test_ids_are_unique_and_well_formed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(len(i) == 5 and i.startswith(("TF", "PY2")) for i in ids)
    assert len(RULES) >= 40


@pytest.mark.parametrize("rule", [r for r in RULES if r.migrated], ids=lambda r: r.id)
def test_migrated_pointer_names_something_that_exists(rule):
    """`tf2rec rules ID` tells the user where this project does the TF2 version: a module,
    then attributes (a class, a method)."""
    parts = rule.migrated.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)  # AttributeError: the pointer is stale
        return
    pytest.fail(f"{rule.migrated}: no module on that path")


def test_the_regularization_finding_stays_an_error_once_spelled_through_compat():
    """The compat.v1 rename keeps the sum right only while the variables come from
    `get_variable`: the finding does not drop to a warning (the penalty is lost later, in
    silence, when the layers become Keras layers)."""
    (rule,) = [r for r in RULES if r.id == "TF905"]
    code = "import tensorflow as tf\nreg = tf.compat.v1.losses.get_regularization_loss()\n"
    assert [f.severity.label for f in scan_source("a.py", code, [rule()])] == ["error"]
