"""Shared fixtures of the tests: a headless matplotlib, a seeded rng, and ``need``."""
import os

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no window, no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A fresh generator with a fixed seed, so every test sees the same numbers."""
    return np.random.default_rng(20261128)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


CI = os.environ.get("CI", "").lower() == "true"


def _need(condition, reason):
    if not condition:
        if CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)


@pytest.fixture
def need():
    """``need(condition, reason)``: skip where something is missing, fail under CI=true.

    A skipped test is not a passing one, so on CI nothing may be missing.
    """
    return _need
