"""pytester runs the pytest plugin's own tests (tests/parity/test_pytest_plugin.py)."""

pytest_plugins = ["pytester"]
