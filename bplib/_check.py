"""Input checks that explain themselves in the lecture's notation.

Every public function of bplib validates what it is given before it changes
anything, so a bad call leaves the network and the user's arrays untouched.
"""
import math
import numbers

import numpy as np


class NotationError(ValueError):
    """A value does not fit the lecture's notation (shape, layer number, ...)."""


def as_real_array(value, name):
    """Return `value` as a fresh float64 array, or explain why it is not one.

    Integer and boolean arrays are converted (a float copy, so later in-place
    updates are never truncated); strings, objects and complex numbers are not.
    """
    if type(value) is np.ndarray and value.dtype == np.float64:
        return value.copy()  # the common case, kept fast
    try:
        a = np.asarray(value)
    except Exception as e:  # ragged lists and the like
        raise NotationError(f"{name} must be an array of real numbers: {e}") from None
    if a.dtype == object:
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            raise NotationError(
                f"{name} must be an array of real numbers, got entries of type "
                f"{type(a.flat[0]).__name__ if a.size else 'object'}") from None
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
            or a.dtype == bool):
        raise NotationError(f"{name} must hold real numbers, got dtype {a.dtype}")
    return np.array(a, dtype=np.float64)


def require_finite(a, name):
    """Raise if `a` holds NaN or an infinity, saying where the first one is."""
    # NaN and inf reach the sum, so a finite sum settles it without the boolean
    # copy that isfinite makes; a sum that overflowed is looked at entry by entry.
    if not math.isfinite(a.sum()) and not np.isfinite(a).all():  # math's: no numpy call
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise NotationError(
            f"{name} holds NaN or infinite values (the first at index {where}); "
            "check the learning rate and the input data")


def shape_message(name, expected, symbols, got):
    """'W^(2) must have shape (3, 4) = (d_2, d_1), got (4, 3)'."""
    symbols = ", ".join(symbols) + ("," if len(symbols) == 1 else "")  # (d_2,) like numpy
    return f"{name} must have shape {tuple(expected)} = ({symbols}), got {tuple(got)}"


def require_layer(l, L, what):
    """Check a layer number l for a quantity defined on layers 1..L (or 0..L)."""
    first = 0 if what in ("x", "dl/dx") else 1
    if isinstance(l, (bool, np.bool_)) or not isinstance(l, numbers.Integral):
        raise NotationError(f"layer numbers are whole numbers {first}..L, got {l!r}")
    if first <= l <= L:
        return int(l)
    if l == 0:
        raise NotationError(
            f"{what}^(0) does not exist: layer 0 is the input x^(0), and layers with "
            f"parameters are numbered 1..L = 1..{L}")
    raise NotationError(
        f"{what}^({l}) does not exist: this network has L = {L} layers, "
        f"so {what}^(l) exists for l = {first}..{L}")
