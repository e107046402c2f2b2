"""The parity harness as a pytest fixture, so a migration's proof runs in its project's CI.

Installing tf2rec registers this plugin (entry point `pytest11`), so any test can ask for
the `tf2rec_parity` fixture:

    def test_my_migration(tf2rec_parity):
        tf2rec_parity("legacy_model:build", "keras_model:make", "tests/batches.npz",
                      {"n_features": 85}, labels=["label"], name_map="tests/map.json")

It fails the test with the parity table (and the first failure's likely cause) when a
check fails, and returns the comparisons otherwise. `--parity-steps N`,
`--parity-optimizers sgd,adam` and `--parity-mode float64` override every call's steps,
optimizers and mode (a quick run on every push, the full one nightly, say).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser) -> None:
    group = parser.getgroup("tf2rec parity")
    group.addoption(
        "--parity-steps", type=int, default=None, help="training steps of every parity check"
    )
    group.addoption(
        "--parity-optimizers",
        default=None,
        help="comma-separated optimizers of every parity check (sgd, adagrad, adam)",
    )
    group.addoption(
        "--parity-mode",
        default=None,
        choices=("auto", "bitwise", "float64"),
        help="the mode of every parity check (see tf2rec parity --mode)",
    )


@pytest.fixture
def tf2rec_parity(request):
    """`check(legacy, migrated, batches, hparams=None, **options)`: `tf2rec.tools.parity.
    run_pair` with the command line's overrides; fails the test when a check fails.
    `name_map` may be a dict or the path of a JSON map file."""
    config = request.config

    def check(legacy, migrated, batches, hparams=None, **options):
        from tf2rec.tools.convert import load_map_file
        from tf2rec.tools.parity import run_pair, table

        if config.getoption("--parity-steps"):
            options["steps"] = config.getoption("--parity-steps")
        if config.getoption("--parity-optimizers"):
            options["optimizers"] = [
                name.strip() for name in config.getoption("--parity-optimizers").split(",")
            ]
        if config.getoption("--parity-mode"):
            options["mode"] = config.getoption("--parity-mode")
        name_map = options.get("name_map")
        if name_map is not None and not isinstance(name_map, dict):
            options["name_map"] = load_map_file(name_map)
        results = run_pair(legacy, migrated, batches, hparams, **options)
        if not all(result.passed for result in results):
            pytest.fail("parity failed\n" + table(results), pytrace=False)
        return results

    return check
