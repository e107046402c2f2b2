"""Scanner speed and memory: `tf2rec scan` against tf_upgrade_v2 (shipped with TensorFlow).

Generates a tree of TF1-style files (the legacy model's own files, the TF1 scripts in
`templates/`, and plain numpy modules, with per-file renames) and one large file of the
same scripts, then measures, several times each, median of the runs:

- `tf2rec scan` on the tree as a whole command (start-up included), with 1 and N jobs,
  against tf_upgrade_v2's upgrader run in-process on the same tree (its import of
  TensorFlow left out): lines/s and the ratio;
- the peak memory of `tf2rec scan` on the large file, above the peak of the same command
  on a one-line file, as a multiple of the file's size;
- `tf2rec fix --write --unsafe-fixes` of the large file;
- `tf2rec scan` (1 job) on the same tree written as Python 2 (print statements, `xrange`,
  `iteritems`), against the same tree converted to Python 3 (`python2.to_python3`, the same
  lines): the cost per line of reading Python 2.

Our commands run with bytecode caching allowed and once unmeasured first, as an installed
package runs (pip compiles it when installing).

    .venv/bin/python -m tf2rec.tools.bench.scan --files 2000 --repeat 3 [--big-mb 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tf2rec.errors import CommandFailed, last_line
from tf2rec.tools.cli.options import positive_float, positive_int

# the package's root: the repository in a checkout, site-packages/tf2rec once installed
PACKAGE = Path(__file__).resolve().parents[2]
TEMPLATES = [
    PACKAGE / "legacy" / "model.py",
    PACKAGE / "legacy" / "train.py",
    *sorted((Path(__file__).parent / "templates").glob("*.py")),
]
PLAIN = '''"""Feature helpers (no TensorFlow)."""
import numpy as np


def normalise_{i}(x):
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / (x.std() + 1e-8)


def bucketize_{i}(values, edges):
    return np.searchsorted(edges, values, side="right")
'''
# tf_upgrade_v2's upgrader over a tree, timed in its own process after its imports
UPGRADE = """
import json, shutil, sys, time
from tensorflow.tools.compatibility import ast_edits, tf_upgrade_v2
tree, out, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(repeat):
    shutil.rmtree(out, ignore_errors=True)
    upgrader = ast_edits.ASTCodeUpgrader(tf_upgrade_v2.TFAPIChangeSpec())
    start = time.perf_counter()
    upgrader.process_tree(tree, out, False)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


_PRINT_CALL = re.compile(r"^([ \t]*)print\((.*)\)([ \t]*(?:#.*)?)$", re.M)
_RANGE = re.compile(r"(?<![\w.])range\(")
_DEF = re.compile(r"^([ \t]*)def (\w+)\(.*\):[ \t]*$")


def python2_text(text: str, python2: bool = True) -> str:
    """The same module as Python 2 code of its time: print statements (one at the start of
    each function, and for each one-line `print(...)`), `xrange`, `iteritems`; with
    `python2` False, the same lines in Python 3 (print calls, `range`, `items`)."""
    if python2:
        text = _PRINT_CALL.sub(r"\1print \2\3", text)
        text = _RANGE.sub("xrange(", text).replace(".items()", ".iteritems()")
    out = []
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        out.append(line)
        match = _DEF.match(line)
        if match and index + 1 < len(lines):
            body = lines[index + 1]
            indent = body[: len(body) - len(body.lstrip())] or match.group(1) + "    "
            args = f'"{match.group(2)}", __name__'
            out.append(f"{indent}print {args}\n" if python2 else f"{indent}print({args})\n")
    return "".join(out)


def _renamed(text: str, i: int) -> str:
    return text.replace("LegacyTwoTower", f"Tower{i}").replace("def ", f"def v{i}_")


def make_tree(folder: Path, files: int, python: str = "3") -> int:
    """Write `files` Python files under `folder`; returns the number of lines. `python`:
    "3" the templates as they are, "2" written as Python 2 (`python2_text`), "2to3" the
    same lines in Python 3."""
    texts = [t.read_text() for t in TEMPLATES]
    if python != "3":
        texts = [python2_text(t, python == "2") for t in texts]
    lines = 0
    for i in range(files):
        package = folder / f"pkg{i // 100}"
        package.mkdir(parents=True, exist_ok=True)
        tf_files = i - i // 5  # every fifth file has no TensorFlow
        text = PLAIN.format(i=i) if i % 5 == 4 else _renamed(texts[tf_files % len(texts)], i)
        if python != "3" and i % 5 == 4:
            text = python2_text(text, python == "2")
        (package / f"module_{i}.py").write_text(text)
        lines += text.count("\n")
    return lines


def make_big_file(path: Path, megabytes: float) -> int:
    """One generated file of the templates over and over, each copy renamed; its size."""
    texts = [t.read_text() for t in TEMPLATES]
    size, i = 0, 0
    with open(path, "w") as handle:
        while size < megabytes * 1e6:
            text = _renamed(texts[i % len(texts)], i)
            handle.write(text)
            size, i = size + len(text.encode()), i + 1
    return size


# `tf2rec ARGS...` in a process that then writes its own peak memory (kB) to PEAK_FILE.
# Linux's VmHWM is the peak of this program alone; ru_maxrss of a child also counts the
# pages it shared with the parent before exec, i.e. the benchmark's own size.
MEASURED = """
import os, sys
from tf2rec.tools.cli.main import main
peak_file, *argv = sys.argv[1:]
try:
    code = main(argv)
finally:
    try:
        with open("/proc/self/status") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(peak_file, "w") as out:
        out.write(str(peak))
sys.exit(code)
"""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of one run of `tf2rec ARGV`; raises CommandFailed if it fails."""
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", MEASURED, peak.name, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment(),
        )
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise CommandFailed(
                f"tf2rec {' '.join(argv[:2])} failed (exit {done.returncode}): "
                + last_line(done.stderr)
            )
        return seconds, int(Path(peak.name).read_text()) * 1024 / 1e6  # kB


def _median_run(argv: list[str], repeat: int, before=None) -> tuple[float, float]:
    """Median seconds and peak MB of `repeat` runs of `tf2rec ARGV` after one unmeasured."""
    runs = []
    for _ in range(repeat + 1):
        if before:
            before()
        runs.append(_run(argv))
    runs = runs[1:]
    return statistics.median(s for s, _ in runs), statistics.median(m for _, m in runs)


def _upgrade_times(tree: Path, out: Path, repeat: int) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", UPGRADE, str(tree), str(out), str(repeat)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise CommandFailed(
            f"tf_upgrade_v2 failed (exit {done.returncode}): {last_line(done.stderr)}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(files: int, repeat: int, jobs: int, big_mb: float = 5.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tree, report = tmp / "tree", tmp / "report.json"
        lines = make_tree(tree, files)
        scan = ["scan", str(tree), "--fail-on", "never", "--format", "json"]
        scan += ["--output", str(report)]
        ours_1, _ = _median_run(scan, repeat)
        ours_n, _ = _median_run([*scan, "--jobs", str(jobs)], repeat)
        theirs = statistics.median(_upgrade_times(tree, tmp / "upgraded", repeat))

        big, copy, tiny = tmp / "big.py", tmp / "big_copy.py", tmp / "tiny.py"
        size = make_big_file(big, big_mb)
        tiny.write_text("import tensorflow as tf\n")
        memory_scan = ["scan", "--fail-on", "never", "--format", "json"]
        _, base_mb = _median_run([*memory_scan, "--output", str(report), str(tiny)], repeat)
        big_s, big_mb_peak = _median_run([*memory_scan, "--output", str(report), str(big)], repeat)
        fix_s, _ = _median_run(
            ["fix", "--write", "--unsafe-fixes", "--fail-on", "never", str(copy)],
            repeat,
            before=lambda: shutil.copyfile(big, copy),
        )
        python2 = _python2_cost(tmp, files, repeat)
    return {
        "files": files,
        "lines": lines,
        "repeat": repeat,
        "jobs": jobs,
        "tf2rec_jobs1": {"median_s": round(ours_1, 3), "lines_per_s": round(lines / ours_1)},
        f"tf2rec_jobs{jobs}": {"median_s": round(ours_n, 3), "lines_per_s": round(lines / ours_n)},
        "tf_upgrade_v2_in_process": {
            "median_s": round(theirs, 3),
            "lines_per_s": round(lines / theirs),
        },
        "ratio_jobs1": round(theirs / ours_1, 2),
        f"ratio_jobs{jobs}": round(theirs / ours_n, 2),
        "big_file": {
            "mb": round(size / 1e6, 2),
            "scan_s": round(big_s, 2),
            "peak_above_base_mb": round(big_mb_peak - base_mb, 1),
            "peak_above_base_per_file_size": round((big_mb_peak - base_mb) / (size / 1e6), 1),
            "fix_s": round(fix_s, 2),
        },
        "python2": python2,
    }


def _python2_cost(tmp: Path, files: int, repeat: int) -> dict:
    """`tf2rec scan` (1 job) of the tree as Python 2 and of its Python 3 conversion."""
    seconds = {}
    for python in ("2", "2to3"):
        tree = tmp / f"tree_{python}"
        lines = make_tree(tree, files, python)
        argv = ["scan", str(tree), "--fail-on", "never", "--format", "json"]
        seconds[python], _ = _median_run([*argv, "--output", str(tmp / "py2.json")], repeat)
    return {
        "lines": lines,
        "python2_s": round(seconds["2"], 3),
        "python3_s": round(seconds["2to3"], 3),
        "python2_lines_per_s": round(lines / seconds["2"]),
        "python3_lines_per_s": round(lines / seconds["2to3"]),
        "cost_per_line_ratio": round(seconds["2"] / seconds["2to3"], 2),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--files", type=positive_int, default=2000, help="files in the tree")
    parser.add_argument("--repeat", type=positive_int, default=3, help="runs of each command")
    parser.add_argument("--jobs", type=positive_int, default=2, help="tf2rec scan --jobs")
    parser.add_argument(
        "--big-mb", type=positive_float, default=5.0, help="size of the large file (MB)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def execute(args: argparse.Namespace) -> int:
    result = run(args.files, args.repeat, args.jobs, args.big_mb)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    jobs = args.jobs
    print(
        f"scan benchmark: {result['files']} files, {result['lines']:,} lines, "
        f"median of {result['repeat']} runs"
    )
    for name, what in (
        ("tf2rec_jobs1", "whole command"),
        (f"tf2rec_jobs{jobs}", "whole command"),
        ("tf_upgrade_v2_in_process", "its upgrader, imports left out"),
    ):
        r = result[name]
        print(f"  {name:<25} {r['median_s']:>7.2f} s  {r['lines_per_s']:>9,} lines/s  ({what})")
    print(
        f"  tf2rec / tf_upgrade_v2 speed: {result['ratio_jobs1']}x (1 job), "
        f"{result[f'ratio_jobs{jobs}']}x ({jobs} jobs)"
    )
    big = result["big_file"]
    print(
        f"  one {big['mb']} MB file: scan {big['scan_s']} s, peak memory "
        f"{big['peak_above_base_mb']} MB above a one-line file's "
        f"({big['peak_above_base_per_file_size']}x its size); fix --write {big['fix_s']} s"
    )
    py2 = result["python2"]
    print(
        f"  the tree as Python 2: {py2['python2_s']} s ({py2['python2_lines_per_s']:,} lines/s)"
        f", converted to Python 3: {py2['python3_s']} s ({py2['python3_lines_per_s']:,} "
        f"lines/s): {py2['cost_per_line_ratio']}x per line"
    )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return execute(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
