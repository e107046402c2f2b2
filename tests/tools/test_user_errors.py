"""Every mistake a user can make with the data and files they pass is one clear line that
names the file or value and what to do: never a traceback."""

import json

import pytest

from tests.cli import exit_code

IDS = "--user-col user --item-col item --time-col ts".split()


def one_line_error(capsys, argv: list[str]) -> str:
    """The error line (after argparse's usage lines, for a bad option value)."""
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert all(line.startswith((" ", "usage:")) for line in lines[:-1]), err
    return lines[-1]


@pytest.mark.parametrize(
    "rows, message",
    [
        ("9223372036854775808,1,5", "data.csv:2: user id 9223372036854775808 does not fit"),
        ("1,-9223372036854775809,5", "data.csv:2: item id -9223372036854775809 does not fit"),
        ("1,1,1e300", "data.csv:2: timestamp 1e300 is out of range"),
    ],
)  # fmt: skip
def test_values_beyond_what_the_columns_hold(tmp_path, monkeypatch, capsys, rows, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text(f"user,item,ts\n{rows}\n1,2,6\n")
    assert message in one_line_error(capsys, ["data", "--data", "data.csv", *IDS])


def test_synthetic_sizes_are_checked(capsys):
    err = one_line_error(capsys, ["data", "--synthetic-users", "0"])
    assert "argument --synthetic-users: must be at least 1, got 0" in err
    err = one_line_error(capsys, ["data", "--synthetic-interactions", "10"])
    assert "--synthetic-*: need n_interactions >= n_users * min_per_user" in err


def test_data_without_a_user_to_evaluate_is_refused_before_training(tmp_path, capsys):
    data = tmp_path / "few.csv"
    data.write_text("user,item,ts\n1,1,1\n1,2,2\n2,3,3\n")
    model = tmp_path / "model"
    err = one_line_error(capsys, ["train", "--model-dir", str(model), "--data", str(data), *IDS])
    assert "no user has 3 interactions, and leave-last-out needs 3" in err
    assert not model.exists()  # nothing was started


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[" * 100_000 + b"]" * 100_000, "the map file is nested too deeply to be one"),
        (b'{"a": "caf\xe9"}', "the map file is not UTF-8 (invalid continuation byte at byte 10)"),
        (b"{not json", "the map file is not JSON (Expecting property name"),
        (b'["a list"]', 'a map file is a JSON object {"keras path": "tf1 name"}'),
    ],
)
def test_bad_map_files(tmp_path, capsys, content, message):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    hparams = {"n_users": 5, "n_items": 6, "optimizer": "adam", "lr": 0.01}
    (legacy / "hparams.json").write_text(json.dumps(hparams))
    (tmp_path / "map.json").write_bytes(content)
    argv = ["convert", "--legacy-dir", str(legacy), "--out", str(tmp_path / "out")]
    assert message in one_line_error(capsys, [*argv, "--map", str(tmp_path / "map.json")])


def test_a_bad_hparams_file(tmp_path, capsys):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "hparams.json").write_text('{"n_users": 5}')
    argv = ["convert", "--legacy-dir", str(legacy), "--out", str(tmp_path / "out")]
    assert "hparams.json: no n_items, optimizer, lr in it" in one_line_error(capsys, argv)
    (legacy / "hparams.json").write_text("{")
    assert "hparams.json: the legacy model's settings file is not JSON" in one_line_error(
        capsys, argv
    )


def test_a_report_to_a_place_that_cannot_be_written(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text("import tensorflow as tf\nsess = tf.Session()\n")
    target = model / "sub" / "report.txt"  # below a file: no one can write there, root neither
    err = one_line_error(capsys, ["scan", str(model), "-o", str(target)])
    assert f"cannot write --output {target}: Not a directory" in err


def test_scan_jobs_must_be_positive(tmp_path, capsys):
    (tmp_path / "m.py").write_text("import tensorflow as tf\n")
    err = one_line_error(capsys, ["scan", str(tmp_path), "--jobs", "0"])
    assert "argument --jobs/-j: must be at least 1, got 0" in err


def test_convert_never_replaces_an_output_without_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.keras").write_text("a model someone keeps")
    argv = ["convert", "--legacy-dir", str(tmp_path / "legacy"), "--out", str(out)]
    assert "is not empty; pass --overwrite" in one_line_error(capsys, argv)
    # and --overwrite does not delete what tf2rec did not write
    assert "holds files tf2rec did not write" in one_line_error(capsys, [*argv, "--overwrite"])
    assert (out / "model.keras").read_text() == "a model someone keeps"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model-dir", "m", "--seed", "4294967296"],
         "argument --seed: seeds run from 0 to 4,294,967,295; got 4294967296"),
        (["legacy-train", "--model-dir", "m", "--seed", "-1"],
         "argument --seed: seeds run from 0 to 4,294,967,295; got -1"),
        (["data", "--data-seed", "-1"],
         "argument --data-seed: seeds run from 0 to 4,294,967,295; got -1"),
        (["data", "--data-seed", "x"], "argument --data-seed: 'x' is not an integer"),
    ],
)  # fmt: skip
def test_a_seed_out_of_range_names_the_option(tmp_path, monkeypatch, capsys, argv, message):
    """A seed past 2**32 - 1 ended in 'unexpected error: ValueError: Seed must be between 0
    and 2**32 - 1' after the data was loaded; a negative --data-seed blamed --synthetic-*."""
    monkeypatch.chdir(tmp_path)
    assert one_line_error(capsys, argv) == f"tf2rec {argv[0]}: error: {message}"
    assert list(tmp_path.iterdir()) == []


def test_a_directory_passed_as_the_keras_model_is_named_a_directory(tmp_path, capsys):
    (tmp_path / "model.keras").mkdir()
    err = one_line_error(
        capsys,
        [
            "convert",
            "--reverse",
            "--model",
            str(tmp_path / "model.keras"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert err == (
        f"tf2rec convert: error: {tmp_path / 'model.keras'}: a directory, not a .keras file; "
        "pass the model's .keras file"
    )
