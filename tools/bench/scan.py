"""Scanner speed: `tf2rec scan` against tf_upgrade_v2 (shipped with TensorFlow) on one tree.

Generates a tree of TF1-style files (the legacy model's own files, the TF1 scripts in
`templates/`, and plain numpy modules, with per-file renames), then times both tools as
whole commands, several times each, and prints median lines/s and the ratio.

    .venv/bin/python -m tf2rec.tools.bench.scan --files 2000 --repeat 3 [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tf2rec.tools.cli.options import positive_int
from tf2rec.tools.errors import CommandFailed, last_line

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


def make_tree(folder: Path, files: int) -> int:
    """Write `files` Python files under `folder`; returns the number of lines."""
    texts = [t.read_text() for t in TEMPLATES]
    lines = 0
    for i in range(files):
        package = folder / f"pkg{i // 100}"
        package.mkdir(parents=True, exist_ok=True)
        if i % 5 == 4:
            text = PLAIN.format(i=i)
        else:
            text = texts[i % len(texts)].replace("LegacyTwoTower", f"Tower{i}")
        (package / f"module_{i}.py").write_text(text)
        lines += text.count("\n")
    return lines


def _time(command: list[str], repeat: int, cleanup=None) -> list[float]:
    times = []
    for _ in range(repeat):
        if cleanup:
            cleanup()
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise CommandFailed(
                f"{command[2]} failed (exit {done.returncode}): {last_line(done.stderr)}"
            )
    return times


def run(files: int, repeat: int, jobs: int) -> dict:
    # both as modules of this interpreter (what their console scripts run), so that neither
    # depends on where, or whether, pip put a script
    with tempfile.TemporaryDirectory() as tmp:
        tree, out = Path(tmp) / "tree", Path(tmp) / "upgraded"
        lines = make_tree(tree, files)
        scan = [
            sys.executable,
            "-m",
            "tf2rec.tools.cli",
            "scan",
            str(tree),
            "--fail-on",
            "never",
            "--format",
            "json",
            "--output",
            str(Path(tmp) / "report.json"),
        ]
        ours_1 = _time(scan, repeat)
        ours_n = _time([*scan, "--jobs", str(jobs)], repeat)
        upgrade = [
            sys.executable,
            "-m",
            "tensorflow.tools.compatibility.tf_upgrade_v2_main",
            "--intree",
            str(tree),
            "--outtree",
            str(out),
            "--reportfile",
            str(Path(tmp) / "upgrade.txt"),
        ]
        theirs = _time(upgrade, repeat, cleanup=lambda: shutil.rmtree(out, ignore_errors=True))
    result = {"files": files, "lines": lines, "repeat": repeat, "jobs": jobs}
    for name, times in (
        ("tf2rec_jobs1", ours_1),
        (f"tf2rec_jobs{jobs}", ours_n),
        ("tf_upgrade_v2", theirs),
    ):
        median = statistics.median(times)
        result[name] = {"median_s": round(median, 3), "lines_per_s": round(lines / median)}
    reference = result["tf_upgrade_v2"]["median_s"]
    result["ratio_jobs1"] = round(reference / result["tf2rec_jobs1"]["median_s"], 2)
    result[f"ratio_jobs{jobs}"] = round(reference / result[f"tf2rec_jobs{jobs}"]["median_s"], 2)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--files", type=positive_int, default=2000, help="files in the tree")
    parser.add_argument("--repeat", type=positive_int, default=3, help="runs of each command")
    parser.add_argument("--jobs", type=positive_int, default=2, help="tf2rec scan --jobs")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def execute(args: argparse.Namespace) -> int:
    result = run(args.files, args.repeat, args.jobs)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"scan benchmark: {result['files']} files, {result['lines']:,} lines, "
        f"median of {result['repeat']} runs (whole commands, start-up included)"
    )
    for name in ("tf2rec_jobs1", f"tf2rec_jobs{args.jobs}", "tf_upgrade_v2"):
        r = result[name]
        print(f"  {name:<15} {r['median_s']:>8.2f} s  {r['lines_per_s']:>9,} lines/s")
    print(
        f"  tf2rec / tf_upgrade_v2 speed: {result['ratio_jobs1']}x (1 job), "
        f"{result[f'ratio_jobs{args.jobs}']}x ({args.jobs} jobs)"
    )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return execute(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
