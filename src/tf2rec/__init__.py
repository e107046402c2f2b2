"""tf2rec: move a TensorFlow 1.x recommender to TensorFlow 2 / Keras 3 (scan, prove, train).

The public API is the names below, importable from `tf2rec` itself; each loads its module on
first use, so `import tf2rec` imports nothing heavy, and the scanner's names never import
TensorFlow. The command line (`tf2rec.tools.cli`) is a thin layer over them.

>>> import pathlib, tempfile, tf2rec
>>> project = pathlib.Path(tempfile.mkdtemp())
>>> _ = (project / "train.py").write_text(
...     "import tensorflow as tf\\n"
...     "x = tf.placeholder(tf.float32, [None, 3])\\n"
...     "loss = tf.reduce_sum(x, reduction_indices=1)\\n"
... )
>>> report = tf2rec.scan([project])
>>> [(f.rule_id, f.line, f.column, f.severity.label) for f in report.findings]
[('TF110', 2, 5, 'warning'), ('TF201', 2, 5, 'error'), ('TF902', 3, 25, 'error')]
>>> report.files[0].state, report.exit_code(fail_on="error")
(<FileState.BLOCKED: 'blocked'>, 1)
>>> fixed = tf2rec.fix([project], write=True)
>>> print((project / "train.py").read_text(), end="")
import tensorflow as tf
x = tf.compat.v1.placeholder(tf.float32, [None, 3])
loss = tf.reduce_sum(x, axis=1)

The repository's folders are the package's parts: `tf2rec.interactions` (interactions/),
`tf2rec.legacy` (legacy/), `tf2rec.migrated` (migrated/), `tf2rec.tools` (tools/) and
`tf2rec.tf1` (src/tf2rec/tf1/), the TF1 runtime that TF1 code run as it was imports.
"""

from importlib import import_module

# public name -> "module" (the same name there), "module:name", or "module:" (the module)
PUBLIC = {
    # errors a person gets as one line
    "UsageError": "tf2rec.errors",
    "CommandFailed": "tf2rec.errors",
    "MissingExtra": "tf2rec.tools.extras",
    "extra_needed": "tf2rec.tools.extras",
    # files tf2rec writes
    "write_atomically": "tf2rec.atomic",
    "output_file": "tf2rec.atomic",
    "refuse_inputs": "tf2rec.atomic",
    "same_file": "tf2rec.atomic",
    # scan and fix (no TensorFlow)
    "scan": "tf2rec.tools.scan.runner",
    "fix": "tf2rec.tools.scan.runner",
    "ScanReport": "tf2rec.tools.scan.results",
    "FileResult": "tf2rec.tools.scan.results",
    "FileState": "tf2rec.tools.scan.results",
    "FixReport": "tf2rec.tools.scan.results",
    "FileFix": "tf2rec.tools.scan.results",
    "Finding": "tf2rec.tools.scan.finding",
    "Severity": "tf2rec.tools.scan.finding",
    "scan_settings": "tf2rec.tools.scan.config:settings",
    "REPORT_FORMATS": "tf2rec.tools.scan.config",
    "FAIL_ON": "tf2rec.tools.scan.results",
    "render_report": "tf2rec.tools.scan.reports:render",
    "write_baseline": "tf2rec.tools.scan.baseline:write",
    "check_baseline_replaceable": "tf2rec.tools.scan.baseline:check_replaceable",
    "RULES": "tf2rec.tools.scan.rules",
    "rule": "tf2rec.tools.scan.rules",
    "rule_page": "tf2rec.tools.scan.reports",
    # data (numpy and pandas)
    "DataError": "tf2rec.interactions.errors",
    "load_interactions": "tf2rec.interactions.load:load",
    "DATA_FORMATS": "tf2rec.interactions.load:FORMATS",
    "synthetic": "tf2rec.interactions.synthetic",
    "leave_last_out": "tf2rec.interactions.split",
    "ModelSpec": "tf2rec.interactions.spec",
    "OPTIMIZERS": "tf2rec.interactions.spec",
    "read_json": "tf2rec.tools.user_json",
    # training and serving (TensorFlow)
    "train": "tf2rec.tools.training",
    "train_legacy": "tf2rec.tools.training",
    "Recommender": "tf2rec.migrated.serving",
    "run_local_cluster": "tf2rec.tools.cluster:run_local",
    "recover_model_dir": "tf2rec.tools.model_dir:recover",
    "reuse_freed_memory": "tf2rec.malloc",  # what train does first; for your own fit
    # checkpoints between the two models
    "convert_legacy": "tf2rec.tools.convert",
    "convert_to_legacy": "tf2rec.tools.convert",
    "legacy_hparams": "tf2rec.tools.convert",
    "latest_checkpoint": "tf2rec.tools.convert",
    "load_map_file": "tf2rec.tools.convert",
    # parity
    "run_pair": "tf2rec.tools.parity.harness",
    "run_parity": "tf2rec.tools.parity.two_tower",
    "shipped_pair": "tf2rec.tools.parity.shipped",
    "kernel_configuration": "tf2rec.tools.parity.report",
    "parity_table": "tf2rec.tools.parity.report:table",
    "parity_json": "tf2rec.tools.parity.report:as_json",
    # benchmarks (modules: `add_arguments`, `execute`)
    "bench_scan": "tf2rec.tools.bench.scan:",
    "bench_train": "tf2rec.tools.bench.train:",
    "bench_quality": "tf2rec.tools.bench.quality:",
}

__all__ = sorted(PUBLIC)


def __getattr__(name: str):
    target = PUBLIC.get(name)
    if target is None:
        raise AttributeError(f"module 'tf2rec' has no attribute {name!r}")
    module, colon, attribute = target.partition(":")
    value = (
        import_module(module)
        if colon and not attribute
        else getattr(import_module(module), attribute or name)
    )
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *PUBLIC})
