"""Small data sets: generated 2-D problems and the UCI handwritten digits.

Everything is offline and deterministic: generated sets take a seed, and the
digits ship with the package (see bplib/data/README.md for source and licence).
Samples are rows: X has shape (N, d_0), labels y have shape (N,).
"""
import gzip
import numbers
from importlib import resources

import numpy as np

from ._check import NotationError, require_whole


def xor():
    """The four points of XOR.

    Returns
    -------
    X : array, shape (4, 2)
    y : int array, shape (4,)
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def moons(n=200, noise=0.15, seed=0):
    """Two interleaving half circles.

    Returns
    -------
    X : array, shape (n, 2)
    y : int array, shape (n,), labels 0 and 1
    """
    require_whole(n, "n", 2)
    _noise(noise)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t = np.pi * rng.random(n)
    upper = np.c_[np.cos(t[:n0]), np.sin(t[:n0])]
    lower = np.c_[1 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])]
    X = np.r_[upper, lower] + noise * rng.normal(size=(n, 2))
    return X, np.r_[np.zeros(n0, int), np.ones(n - n0, int)]


def spirals(n=300, classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class (the CS231n toy problem).

    Returns
    -------
    X : array, shape (n, 2)
    y : int array, shape (n,), labels 0..classes-1
    """
    require_whole(n, "n", 1)
    require_whole(classes, "classes", 1)
    _noise(noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.random(n)
    theta = 4 * r + 2 * np.pi * y / classes + noise * rng.normal(size=n)
    return np.c_[r * np.sin(theta), r * np.cos(theta)], y


def digits():
    """The UCI handwritten digits: 1797 images of 8x8 pixels.

    Returns
    -------
    X : array, shape (1797, 64), pixel intensities scaled to [0, 1]
    y : int array, shape (1797,), digits 0..9
    """
    path = resources.files("bplib") / "data" / "digits.csv.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",")
    return table[:, :-1] / 16.0, table[:, -1].astype(int)


def _noise(noise):
    if not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise NotationError(f"noise must be a number >= 0, got {noise!r}")


def one_hot(y, d):
    """Labels (N,) as one-hot rows (N, d)."""
    require_whole(d, "d", 1)
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1 or np.any((y < 0) | (y >= d)):
        raise NotationError(f"one_hot takes labels of shape (N,) in 0..{d - 1}")
    return np.eye(d)[y]


def split(X, y, test_fraction=0.25, seed=0):
    """Shuffle the samples and split them into a training and a test set.

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise NotationError(
            f"X and y must hold one row per sample, got shapes {X.shape} and {y.shape}")
    if not isinstance(test_fraction, numbers.Real) or not 0 < test_fraction < 1:
        raise NotationError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
