"""The one writer used wherever tf2rec replaces a file."""

import errno
import os
import stat

import pytest

from tf2rec.atomic import ensure_room, output_file, write_atomically
from tf2rec.errors import UsageError


def test_replaces_the_text_exactly_and_keeps_the_mode(tmp_path):
    path = tmp_path / "model.py"
    path.write_bytes(b"old\r\n")
    path.chmod(0o640)
    write_atomically(path, "new\r\nline\n")
    assert path.read_bytes() == b"new\r\nline\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomically(tmp_path / "report.json", b"{}")
    finally:
        os.umask(old)
    assert (tmp_path / "report.json").read_bytes() == b"{}"
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "vocab.json"
    path.write_text("old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.json"]


def test_a_link_is_written_through_to_its_target_and_stays_a_link(tmp_path):
    (tmp_path / "target.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("target.txt")
    write_atomically(tmp_path / "link.txt", "new")
    assert os.readlink(tmp_path / "link.txt") == "target.txt"
    assert (tmp_path / "target.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "target.txt"]


def test_a_dangling_link_creates_its_target(tmp_path):
    (tmp_path / "link.txt").symlink_to("made.txt")
    write_atomically(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "made.txt").read_text() == "new"


def test_a_fifo_is_written_directly_and_stays_a_fifo(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()))
    reader.start()
    write_atomically(fifo, ["one\n", "two\n"])
    reader.join(5)
    assert read == [b"one\ntwo\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_full_device_gives_the_os_error_and_stays_a_device():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with pytest.raises(OSError) as raised:
        write_atomically("/dev/full", "x" * 10_000)
    assert raised.value.errno == errno.ENOSPC
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_file_refuses_an_input_before_writing(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    (tmp_path / "alias.py").symlink_to("a.py")
    with pytest.raises(UsageError) as raised:
        with output_file(tmp_path / "alias.py", inputs=[source], option="-o") as path:
            write_atomically(path, "report")
    assert str(raised.value) == (
        f"-o {tmp_path / 'alias.py'} is also an input of this command ({source}); writing it "
        "would replace what is read: choose another file"
    )
    assert source.read_text() == "x = 1\n"


def test_output_file_names_the_file_on_an_os_error(tmp_path):
    (tmp_path / "folder").mkdir()
    with pytest.raises(UsageError) as raised:
        with output_file(tmp_path / "folder", option="--output") as path:
            write_atomically(path, "report")
    assert str(raised.value) == f"cannot write --output {tmp_path / 'folder'}: Is a directory"
    assert [p.name for p in (tmp_path).iterdir()] == ["folder"]


def test_ensure_room_names_the_space_needed_and_free(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**20, 0, 3 * 2**20))
    ensure_room(tmp_path / "new" / "deeper", 2 * 2**20, 2**20, "--out x")
    with pytest.raises(UsageError) as raised:
        ensure_room(tmp_path, 5 * 2**20, 2**20, "--out x")
    assert str(raised.value) == (
        "not enough room to write --out x: it needs about 5.0 MiB, its file system has "
        "3.0 MiB free; free some space and run again"
    )
