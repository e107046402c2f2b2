"""What a pair is made of, read as the user gives it: batches from an .npz, a dict or a
generator; the legacy description checked key by key."""

import numpy as np
import pytest

from tf2rec.interactions import DataError
from tf2rec.tools.parity.pair import check_description, load_batches, load_object, step_count


def test_batches_from_a_dict_a_generator_and_an_npz_are_the_same(tmp_path):
    steps = [
        {"x": np.full((2, 3), i, np.int32), "label": np.full(2, i, np.float32)} for i in range(4)
    ]
    stacked = load_batches(iter(steps))
    assert stacked["x"].shape == (4, 2, 3) and step_count(stacked) == 4
    np.savez(tmp_path / "b.npz", **stacked)
    from_file = load_batches(tmp_path / "b.npz")
    from_dict = load_batches(stacked)
    for key in ("x", "label"):
        assert np.array_equal(from_file[key], stacked[key])
        assert np.array_equal(from_dict[key], stacked[key])


def test_bad_batches_are_named(tmp_path):
    with pytest.raises(DataError, match="gave no batches"):
        load_batches(iter([]))
    with pytest.raises(DataError, match="cannot read the batches"):
        load_batches(tmp_path / "missing.npz")
    with pytest.raises(DataError, match=r"x \(3, 2\), y \(2,\)"):
        load_batches({"x": np.zeros((3, 2)), "y": np.zeros(2)})


def test_the_legacy_description_is_checked():
    with pytest.raises(DataError, match="returned tuple; it must return a dict"):
        check_description((1, 2), "m:build")
    with pytest.raises(DataError, match="unknown key\\(s\\) output; missing outputs"):
        check_description({"inputs": {}, "output": {}, "loss": 1, "train_op": 1}, "m:build")
    with pytest.raises(DataError, match="give a train_op, or an optimizer"):
        check_description({"inputs": {}, "outputs": {"y": 1}, "loss": 1}, "m:build")
    described = {"inputs": {}, "outputs": {"y": 1}, "loss": 1, "optimizer": object()}
    assert check_description(described, "m:build") == described


def test_references_are_checked():
    assert load_object("json:dumps", "--legacy") is __import__("json").dumps
    with pytest.raises(DataError, match="cannot import no_such_module"):
        load_object("no_such_module:build", "--legacy")
    with pytest.raises(DataError, match="json has no 'nothing'"):
        load_object("json:nothing", "--legacy")
    with pytest.raises(DataError, match="decoder is not a function"):
        load_object("json:decoder", "--migrated")


def test_outputs_match_by_name_or_as_the_one_tensor():
    from tf2rec.tools.parity.harness import _output_keys

    assert _output_keys(["logit"], [None]) == {"logit": None}
    assert _output_keys(["logit", "prob"], ["prob", "logit"]) == {"logit": "logit", "prob": "prob"}
    with pytest.raises(DataError, match="names 2 outputs .* returns one tensor"):
        _output_keys(["logit", "prob"], [None])
    with pytest.raises(DataError, match="legacy output\\(s\\) prob not among .* \\(logit\\)"):
        _output_keys(["prob"], ["logit"])


@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        ("empty.npz", b"", "No data left in file"),
        ("cut.npz", b"PK\x03\x04abc", "File is not a zip file"),
        ("one.npy", None, "a single array; save the batches with np.savez(PATH, key=array)"),
    ],
)
def test_a_batches_file_that_is_not_an_npz_is_one_line_naming_it(tmp_path, name, content, detail):
    path = tmp_path / name
    if content is None:
        np.save(path, np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(DataError) as raised:
        load_batches(path)
    assert str(raised.value) == f"{path}: cannot read the batches ({detail})"
