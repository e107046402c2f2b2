"""The examples in the docstrings run as shown (the docs a user reads first)."""

import doctest
import importlib
import io
import pkgutil
from pathlib import Path

import pytest

# tf2rec.legacy is left out: importing it switches TF2 behaviour off for the process
PACKAGES = ["tf2rec", "tf2rec.interactions", "tf2rec.migrated", "tf2rec.tools.parity.error_bounds"]


def modules() -> list[str]:
    names = []
    for name in PACKAGES:
        module = importlib.import_module(name)
        names.append(name)
        if hasattr(module, "__path__"):
            names += [f"{name}.{m.name}" for m in pkgutil.iter_modules(module.__path__)]
    return names


@pytest.mark.parametrize("name", modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, name):
        if test.examples and test.name.startswith(name):  # not what the module imported
            runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_readme_examples_run():
    """The README's `>>>` examples (the Python API) run as shown."""
    readme = Path(__file__).parents[1] / "README.md"
    failed, attempted = doctest.testfile(str(readme), module_relative=False, verbose=False)
    assert attempted and not failed
