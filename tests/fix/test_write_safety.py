"""`fix --write` never loses a user's work: an edit saved meanwhile, links, owners, modes,
hard links and encodings survive it."""

import os
import stat

import pytest

import tf2rec
from tf2rec.tools.cli import main
from tf2rec.tools.scan.fixer import write_fixes

TF1 = "import tensorflow as tf\ny = tf.log(x)\n"
FIXED = "import tensorflow as tf\ny = tf.math.log(x)\n"


def test_an_edit_saved_while_fix_runs_is_kept(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(TF1)
    (fix,) = tf2rec.fix([path]).files
    path.write_text(TF1 + "z = 1  # saved by the user meanwhile\n")
    write_fixes([fix], roots=[tmp_path])
    assert fix.error == "changed since it was read; not changed (run fix again)"
    assert path.read_text().endswith("z = 1  # saved by the user meanwhile\n")


def test_a_link_inside_the_tree_stays_a_link_and_its_target_is_fixed(tmp_path, capsys):
    (tmp_path / "real.py").write_text(TF1)
    (tmp_path / "alias.py").symlink_to("real.py")
    assert main(["fix", "--write", str(tmp_path / "alias.py"), str(tmp_path / "real.py")]) == 0
    assert (tmp_path / "alias.py").is_symlink()
    assert (tmp_path / "real.py").read_text() == FIXED


def test_a_link_leading_out_of_the_tree_is_not_followed(tmp_path, capsys):
    outside = tmp_path / "elsewhere.py"
    outside.write_text(TF1)
    tree = tmp_path / "project"
    tree.mkdir()
    (tree / "model.py").symlink_to(outside)
    assert main(["fix", "--write", str(tree)]) == 2
    err = capsys.readouterr().err
    assert "a link to" in err and "outside the paths given; not changed" in err
    assert outside.read_text() == TF1


def test_a_hard_linked_file_is_left_alone_and_says_how_to_write_it(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text(TF1)
    os.link(path, tmp_path / "copy.py")
    assert main(["fix", "--write", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: {path}: has 1 other hard link(s), which cannot be rewritten safely; not "
        "changed (--break-hard-links writes this name only, as a file of its own)"
    )
    assert path.read_text() == TF1 and (tmp_path / "copy.py").read_text() == TF1


def test_break_hard_links_writes_that_name_and_keeps_its_mode(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text(TF1)
    os.link(path, tmp_path / "copy.py")
    path.chmod(0o640)
    assert main(["fix", "--write", "--break-hard-links", str(path)]) == 0
    assert path.read_text() == FIXED
    assert (tmp_path / "copy.py").read_text() == TF1  # the other name keeps the old text
    assert os.stat(path).st_ino != os.stat(tmp_path / "copy.py").st_ino
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


# A child that may write files of 40 bytes at most (the file has 38, its fix 43), then fixes
# (with --break-hard-links) a hard-linked file: the write fails with EFBIG.
_EFBIG_CHILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (40, 40))
from tf2rec.tools.cli import main
sys.exit(main(["fix", "--write", "--break-hard-links", sys.argv[1]]))
"""


@pytest.mark.parametrize("flag", [True, False])
def test_a_file_size_limit_leaves_both_names_as_they_were(tmp_path, flag):
    import subprocess
    import sys

    path = tmp_path / "model.py"
    path.write_text(TF1)
    os.link(path, tmp_path / "copy.py")
    child = _EFBIG_CHILD if flag else _EFBIG_CHILD.replace('"--break-hard-links", ', "")
    done = subprocess.run(
        [sys.executable, "-c", child, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 2
    expected = (
        "cannot write (File too large); not changed"
        if flag
        else "has 1 other hard link(s), which cannot be rewritten safely"
    )
    assert expected in done.stderr
    assert path.read_text() == TF1 and (tmp_path / "copy.py").read_text() == TF1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.py", "model.py"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_root_keeps_the_owner_and_refuses_a_file_without_a_write_bit(tmp_path, capsys):
    owned = tmp_path / "owned.py"
    owned.write_text(TF1)
    os.chown(owned, 1234, 1234)
    locked = tmp_path / "locked.py"
    locked.write_text(TF1)
    locked.chmod(0o444)
    assert main(["fix", "--write", str(owned), str(locked)]) == 2
    assert (owned.stat().st_uid, owned.stat().st_gid) == (1234, 1234)
    assert owned.read_text() == FIXED
    assert locked.read_text() == TF1
    assert "locked.py: read-only; not changed" in capsys.readouterr().err


def test_a_file_is_written_back_in_the_encoding_it_declares(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n" + TF1.encode() + b"# caf\xe9\n")
    assert main(["fix", "--write", str(path)]) == 0
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\n" + FIXED.encode() + b"# caf\xe9\n"
