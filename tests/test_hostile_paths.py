"""Inputs that are not regular files are refused at once, never opened for reading."""

from __future__ import annotations

import os

import pytest
from conftest import MINI, run


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("validate", "{fifo}"),
        ("validate", "--responses", "{fifo}", "-q", str(MINI)),
        ("score", "{fifo}", "-q", str(MINI)),
    ],
)
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, args):
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    result = run(*(a.format(fifo=fifo) for a in args))
    assert result.returncode in (1, 2), result.stderr
    out = result.stdout + result.stderr
    assert f"{fifo}: this is a FIFO (named pipe), not a regular file" in out
    assert "Traceback" not in out


@pytest.mark.slow
def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "questionnaire.yaml"
    link.symlink_to("/dev/zero")
    result = run("validate", link)
    assert result.returncode == 2
    assert f"{link}: this is a device, not a regular file" in result.stderr
