"""Checks for notebook 01, start here: the shapes of the lecture's symbols.

W^(l) holds the weights into layer l, one row per neuron j of layer l and one
column per neuron k of layer l-1, so it has shape (d_l, d_{l-1}).
"""
from .method import BUILD_NETWORK, Rules, reference, run

RULES = Rules("the shape (d_l, d_{l-1}) read from the list of sizes", BUILD_NETWORK)


@reference
def reference_weight_shape(sizes, l):
    """The shape (d_l, d_{l-1}) of W^(l) for sizes [d_0, ..., d_L]."""
    return (sizes[l], sizes[l - 1])


def test_weight_shape(weight_shape):
    """Raise AssertionError, in the lecture's words, unless weight_shape is right."""
    sizes = [4, 3, 2]
    got = run(weight_shape, list(sizes), 1, rules=RULES).value
    if isinstance(got, list) and len(got) == 2:
        raise AssertionError(f"you returned the list {got!r}; a shape is a tuple (rows, columns), "
                             "`return (sizes[l], sizes[l - 1])`")
    assert isinstance(got, tuple) and len(got) == 2, (
        f"weight_shape should return a pair (rows, columns), got {got!r}")
    assert got != (4, 3), (
        "for sizes [4, 3, 2] you gave W^(1) the shape (d_0, d_1) = (4, 3); it is (d_1, d_0) = "
        "(3, 4): row j holds the weights into neuron j")
    assert got != (2, 3), (
        "for sizes [4, 3, 2] you gave W^(1) the shape of W^(2): layer 0 is the input x^(0), "
        "so W^(1) sits between d_0 and d_1")
    assert got == (3, 4), f"for sizes [4, 3, 2], W^(1) has shape (d_1, d_0) = (3, 4), not {got}"
    for sizes, l in (([5, 7, 1], 2), ([2, 8, 6, 3], 3), ([1, 1], 1)):
        want = reference_weight_shape(sizes, l)
        got = run(weight_shape, list(sizes), l, rules=RULES).value
        assert tuple(got) == want, (
            f"for sizes {sizes}, W^({l}) has shape (d_{l}, d_{l - 1}) = {want}, not {got}")
