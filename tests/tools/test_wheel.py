"""The wheel people install: one import name, `tf2rec`, and a working command line.

Builds the wheel from a copy of the sources, installs it into a fresh virtual environment
(its dependencies borrowed from this one, without this checkout's editable install) and
runs the commands there, outside the checkout, as someone else's project would.
"""

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["pyproject.toml", "README.md", "tf2rec", "interactions", "legacy", "migrated", "tools"]


def run(*argv, cwd, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, tf2rec command, a working folder) of a fresh venv holding only the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    (tmp / "src").mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp / "src" / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, tmp / "src" / name)
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--wheel-dir", str(tmp / "dist"), str(tmp / "src"),
        cwd=tmp,
    )  # fmt: skip
    (wheel,) = (tmp / "dist").glob("tf2rec-*.whl")
    venv.create(tmp / "venv", with_pip=False)
    python = tmp / "venv" / "bin" / "python"
    target = run(
        str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp
    ).stdout.strip()
    # this environment's packages as a plain path entry: its .pth files (the checkout's
    # editable install among them) are not processed from there
    Path(target, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
        "--no-index", str(wheel),
        cwd=tmp,
    )  # fmt: skip
    work = tmp / "project"
    work.mkdir()
    return wheel, python, tmp / "venv" / "bin" / "tf2rec", work


def test_the_wheel_holds_one_top_level_package(installed):
    wheel, *_ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"tf2rec", "tf2rec-0.1.0.dist-info"}
    assert {"tf2rec/tools/scan/data/tf_api.json", "tf2rec/migrated/deepfm_map.json"} <= set(names)
    entry_points = zipfile.ZipFile(wheel).read("tf2rec-0.1.0.dist-info/entry_points.txt").decode()
    assert "[pytest11]\ntf2rec = tf2rec.tools.parity.pytest_plugin" in entry_points
    assert {"tf2rec/tools/bench/templates/aliased_imports.py", "tf2rec/legacy/model.py"} <= set(
        names
    )


def test_the_wheel_holds_every_package_of_the_sources(installed):
    wheel, *_ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("interactions", "legacy", "migrated", "tools"):
        for init in (ROOT / folder).rglob("__init__.py"):
            if "templates" not in init.parts:
                assert f"tf2rec/{init.relative_to(ROOT).as_posix()}" in names


def test_imports_go_through_tf2rec_only(installed):
    _, python, _, work = installed
    found = run(
        str(python), "-c", "import tf2rec, tf2rec.tools.scan; print(tf2rec.__file__)", cwd=work
    ).stdout
    assert "site-packages" in found and str(ROOT) not in found
    for name in ("tools", "legacy", "migrated", "interactions"):
        missing = run(str(python), "-c", f"import {name}", cwd=work, check=False)
        assert missing.returncode == 1
        assert f"No module named '{name}'" in missing.stderr


def test_the_command_line_works_from_the_wheel(installed):
    _, _, tf2rec, work = installed
    assert "scan" in run(str(tf2rec), "--help", cwd=work).stdout
    (work / "train.py").write_text("import tensorflow as tf\nsess = tf.Session()\n")
    scan = run(str(tf2rec), "scan", "train.py", cwd=work, check=False)
    assert scan.returncode == 1
    assert scan.stdout.startswith("train.py:2:8: TF101")
    bench = run(
        str(tf2rec), "bench", "scan", "--files", "10", "--repeat", "1", "--big-mb", "0.1",
        cwd=work,
    )  # fmt: skip
    assert "tf_upgrade_v2" in bench.stdout
