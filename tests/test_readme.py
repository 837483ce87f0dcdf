"""The README's example runs and says what the README says it does."""
import re
from pathlib import Path

import numpy as np
import pytest

import bplib

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_example_runs(capsys):
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(block, namespace)
    assert namespace["net"].W[2].shape == (1, 3)
    assert "running" in capsys.readouterr().out


def test_quoted_error_is_the_real_one():
    quoted = re.search(r"`NotationError: (.*?)`", README).group(1)
    net = bplib.MLP([2, 3, 1], seed=0)
    before = net.W[2].copy()
    with pytest.raises(bplib.NotationError, match=re.escape(quoted)):
        net.W[2] = np.ones((3, 1))
    assert np.array_equal(net.W[2], before)


def test_two_commands_come_first():
    commands = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    assert commands.split()[:2] == ["make", "lab"] and "make test" in commands
