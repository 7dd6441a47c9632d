"""write_atomic: a file is replaced whole or left as it was, also when the write is interrupted."""
from __future__ import annotations

import pytest

from dsfix.common.atomic import write_atomic


def test_replaces_whole_and_leaves_no_temp_file(tmp_path):
    p = tmp_path / "report.json"
    write_atomic(p, '{"status": "verified"}')
    write_atomic(p, '{"status": "interrupted"}')
    assert p.read_text() == '{"status": "interrupted"}'
    assert sorted(x.name for x in tmp_path.iterdir()) == ["report.json"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    import os
    p = tmp_path / "report.json"
    write_atomic(p, "old")

    def interrupted(fd):   # a Ctrl-C between writing the temporary file and renaming it
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(p, "new, half written")
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["report.json"]
