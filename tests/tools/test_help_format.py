"""`--help` shows the defaults of the commands that use DefaultsHelpFormatter."""

import pytest

from tests.cli import exit_code


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("train", ["--epochs EPOCHS       (default: 10)", "K negatives per row (default: 8)"]),
        ("recommend", ["how many items (default: 10)"]),
    ],
)
def test_help_shows_every_default(capsys, monkeypatch, command, shown):
    monkeypatch.setenv("COLUMNS", "100")
    assert exit_code([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in shown:
        assert " ".join(phrase.split()) in text
    assert "(default: None)" not in text and "(default: False)" not in text
