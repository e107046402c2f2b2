"""The scanner's table of TF 2.21 (`tools/scan/data/tf_api.json`) is what the installed
TensorFlow says: names, renamed keywords, changed positions and defaults, each checked
against the signatures themselves."""

import inspect
import json

import pytest

from tf2rec.tools.scan import tf_api
from tf2rec.tools.scan.generate_api_table import TABLE, build

tf = pytest.importorskip("tensorflow")


def _signature(root, name):
    obj = root
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return inspect.signature(obj)


@pytest.fixture(scope="module")
def table():
    return json.loads(TABLE.read_text())


def test_the_committed_table_is_the_installed_tensorflows(table):
    assert build() == table, "run: .venv/bin/python -m tf2rec.tools.scan.generate_api_table"


def test_renamed_keywords_are_gone_and_their_new_names_exist(table):
    assert table["keyword_renames"]["tf.reduce_sum"] == {
        "reduction_indices": "axis",
        "keep_dims": "keepdims",
    }
    for name, renames in table["keyword_renames"].items():
        params = _signature(tf, name).parameters
        for old, new in renames.items():
            assert old not in params and (new is None or new in params), (name, old, new)


def test_changed_positions_hold_another_parameter(table):
    argmax = table["reorders"]["tf.argmax"]
    assert argmax["tf1"][2] == "name" and argmax["tf2"][2] == "output_type"
    for name, order in table["reorders"].items():
        positional = list(_signature(tf, name).parameters)
        for index, tf1 in enumerate(order["tf1"]):
            if tf1 is not None:
                renamed = tf_api.keyword_renames(name).get(tf1, tf1)
                assert index >= len(positional) or positional[index] != renamed, (name, tf1)


def test_changed_defaults_are_the_initializers_and_match_both_signatures(table):
    defaults = table["changed_defaults"]
    assert defaults["tf.random_normal_initializer"]["params"] == {
        "stddev": {"tf1": "1.0", "tf2": "0.05"}
    }
    assert set(defaults["tf.random_uniform_initializer"]["params"]) == {"minval", "maxval"}
    for name, info in defaults.items():
        v1, v2 = _signature(tf.compat.v1, name), _signature(tf, name)
        for param, values in info["params"].items():
            assert repr(v2.parameters[param].default) == values["tf2"]
            if v1.parameters[param].default is not None:
                assert repr(v1.parameters[param].default) == values["tf1"]


def test_tf2_names_reach_the_same_object(table):
    assert table["tf2_names"]["tf.gfile.GFile"] == "tf.io.gfile.GFile"
    for old, new in table["tf2_names"].items():
        assert _signature_free_get(tf.compat.v1, old) is _signature_free_get(tf, new), old


def _signature_free_get(root, name):
    obj = root
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def test_each_gfile_function_is_its_tf2_function_with_renamed_parameters():
    """TF801's table: the TF1 parameters, renamed, are the TF2 function's in the same order
    with the same defaults (the rest have defaults); the TF1 function's one statement calls
    its `_v2` function with its own parameters in order; `FastGFile` and `Open` are files of
    GFile's base class."""
    from tf2rec.tools.scan.rules.renames import GFILE

    assert set(GFILE) == {f"tf.gfile.{n}" for n in dir(tf.compat.v1.gfile) if n[0] != "_"}
    for name, (function, params) in GFILE.items():
        old = list(_signature(tf.compat.v1, name).parameters.values())
        new = list(_signature(tf.io.gfile, f"tf.{function}").parameters.values())
        assert [params.get(p.name, p.name) for p in old] == [p.name for p in new[: len(old)]]
        assert [p.default for p in old] == [p.default for p in new[: len(old)]], name
        assert all(p.default is not inspect.Parameter.empty for p in new[len(old) :]), name
        tf1 = _signature_free_get(tf.compat.v1, name)
        if function == "GFile":
            assert issubclass(tf1, tf.io.gfile.GFile.__mro__[1]), name
            continue
        body = " ".join(inspect.getsource(tf1).split('"""')[-1].split())
        assert body.endswith(f"_v2({', '.join(p.name for p in old)})"), (name, body)


def test_tf706s_schedule_is_keras_2s_decayed_rate():
    """Keras 2 optimizers used `lr * (1 / (1 + decay * iterations))` (its `get_updates`);
    the schedule TF706 writes gives that rate at each step, in float32 as Keras 2 did."""
    import numpy as np

    keras = pytest.importorskip("keras")
    lr, decay = np.float32(0.01), np.float32(1e-6)
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.01, 1, 1e-6)
    for step in (0, 1, 1000, 123_456):
        expected = lr * (np.float32(1) / (np.float32(1) + decay * np.float32(step)))
        # a division against a reciprocal then a product: two float32 roundings apart at most
        assert np.float32(schedule(step)) == pytest.approx(expected, rel=2 * 2**-24)
