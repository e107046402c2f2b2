"""Every rule's own VALID and INVALID examples, and its documentation page."""

import importlib

import pytest

from tf2rec.tools.scan.engine import scan_source
from tf2rec.tools.scan.reports import rule_page, shown
from tf2rec.tools.scan.rules import RULES


def ids_found(code: str, rule) -> list[str]:
    return [f.rule_id for f in scan_source("example.py", code, [rule()])]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_invalid_examples_are_reported(rule):
    assert rule.INVALID, f"{rule.id} has no INVALID example"
    for code in rule.INVALID:
        assert rule.id in ids_found(code, rule), code


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_valid_examples_are_not_reported(rule):
    assert rule.VALID, f"{rule.id} has no VALID example"
    for code in rule.VALID:
        assert rule.id not in ids_found(code, rule), code


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_page_has_every_section(rule):
    page = rule_page(rule)
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in page
    assert shown(rule.INVALID[0]) in page and rule.replacement in page
    assert rule.describe()


def test_ids_are_unique_and_well_formed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) and all(len(i) == 5 and i.startswith("TF") for i in ids)
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
