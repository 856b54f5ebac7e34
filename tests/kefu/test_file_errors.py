"""Full disk, unwritable var/, broken model files: one clear line, nothing half-written."""

from __future__ import annotations

import errno

import numpy as np

from kefu.cli import describe_os_error, main
from kefu.recommender import load_shop_recommender, model_dir, train_from_db


def test_an_unwritable_state_directory_is_one_line_naming_the_path(
    tmp_path, monkeypatch, capsys, small_shop_url
):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where var/ should be")
    monkeypatch.setenv("KEFU_VAR_DIR", str(blocker / "var"))
    monkeypatch.setenv("KEFU_DATABASE_URL", small_shop_url)
    assert main(["train", "--only", "recsys"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kefu: error: "), err
    assert str(blocker) in err[0] and "Traceback" not in err[0]


def test_a_full_disk_keeps_the_previous_model_and_leaves_no_partial_one(
    demo_url, var_dir, monkeypatch, capsys
):
    train_from_db(demo_url)
    before = model_dir().resolve()
    good = load_shop_recommender(demo_url)

    def no_space(fh, **arrays):  # the disk fills up while the arrays are written
        fh.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device", getattr(fh, "name", None))

    monkeypatch.setattr(np, "savez", no_space)
    monkeypatch.setenv("KEFU_DATABASE_URL", demo_url)
    assert main(["train", "--only", "recsys", "--force"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "free some disk" in err[0]
    assert model_dir().resolve() == before  # still the previous model
    leftovers = [p.name for p in model_dir().parent.iterdir() if p.resolve() != before]
    assert leftovers == [], leftovers  # no half-written version left behind
    assert load_shop_recommender(demo_url) is good


def test_os_errors_read_as_one_line_with_advice():
    line = describe_os_error(OSError(errno.EROFS, "Read-only file system", "/srv/kefu/var/x"))
    assert line.startswith("/srv/kefu/var/x: Read-only file system") and "KEFU_VAR_DIR" in line
    assert describe_os_error(FileNotFoundError("no model at m: run 'kefu train'")) == (
        "no model at m: run 'kefu train'"
    )
