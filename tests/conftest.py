"""Shared fixtures of the unit tests: a headless matplotlib and a seeded rng."""
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
