"""Checks for notebook 01, start here: the shapes of the lecture's symbols.

W^(l) holds the weights into layer l, one row per neuron j of layer l and one
column per neuron k of layer l-1, so it has shape (d_l, d_{l-1}). The check
asks for layers that widen and layers that narrow, and for a hidden layer of
a network with L >= 3, so a rule that fits one kind of network only shows.
"""
from .method import BUILD_NETWORK, Rules, reference, run

RULES = Rules("the shape of W^(l) read from the list of sizes", BUILD_NETWORK)
# The lecture's rule, not the shape it gives: the shape is what the exercise asks for.
ROWS = ("w^l_jk connects neuron k of layer l-1 to neuron j of layer l, and row j of W^(l) "
        "holds the weights into neuron j")

# (sizes, l): a narrowing layer first, then a widening one, hidden layers of L = 3 and
# L = 4 (one widening, one narrowing), the last layer, and equal widths.
CASES = [([4, 3, 2], 1), ([2, 5, 7, 3], 1), ([2, 5, 7, 3], 2), ([6, 8, 5, 3, 2], 3),
         ([6, 8, 5, 3, 2], 4), ([5, 7, 1], 2), ([1, 1], 1)]


@reference
def reference_weight_shape(sizes, l):
    """The shape (d_l, d_{l-1}) of W^(l) for sizes [d_0, ..., d_L]."""
    return (sizes[l], sizes[l - 1])


def _sizes_of(sizes, n):
    """Which d_i of ``sizes`` equal ``n``, in words: "d_1", "d_0 and d_2", or "no d_i"."""
    names = [f"d_{i}" for i, d in enumerate(sizes) if d == n]
    return " and ".join(names) if names else "the size of no layer"


def _name(sizes, l, got, narrowing_passed):
    """The mistake in the lecture's words that gives ``got`` for W^(l), or a plain no.

    Named from the student's shape; the message never states the right one.
    """
    L, d_l, d_prev = len(sizes) - 1, sizes[l], sizes[l - 1]
    where = f"for sizes {sizes}, you gave W^({l}) the shape {got}"
    if got == (d_prev, d_l):
        if d_l > d_prev and narrowing_passed:
            return (f"{where}, the smaller size first: that fits layers that narrow "
                    f"(d_l < d_(l-1)), but layer {l} is wider than layer {l - 1}; the shape "
                    "does not depend on which layer is wider. " + ROWS)
        return (f"{where} = (d_{l - 1}, d_{l}): one row per neuron of layer {l - 1} and one "
                f"column per neuron of layer {l}, rows and columns swapped; " + ROWS)
    if 1 < l < L and got in ((sizes[L], sizes[L - 1]), (sizes[1], sizes[0])):
        which = L if got == (sizes[L], sizes[L - 1]) else 1
        return (f"{where}, the shape of W^({which}): that fits a network with L = 2 layers, "
                f"where every layer is the first or the last, but here L = {L} and layer {l} "
                "is a hidden layer; read d_l and d_(l-1) from sizes with l itself")
    if l < L and got == (sizes[l + 1], d_l):
        return (f"{where}, the shape of W^({l + 1}): layer 0 is the input x^(0), so W^({l}) "
                f"sits between d_{l - 1} and d_{l}")
    parts = [f"{n} is {_sizes_of(sizes, n)}" for n in got]
    return f"{where} ({', '.join(parts)}); " + ROWS


def test_weight_shape(weight_shape):
    """Raise AssertionError, in the lecture's words, unless weight_shape is right."""
    narrowing_passed = False
    for sizes, l in CASES:
        got = run(weight_shape, list(sizes), l, rules=RULES).value
        if isinstance(got, list) and len(got) == 2:
            raise AssertionError(f"you returned the list {got!r}; a shape is a tuple "
                                 "(rows, columns), as numpy's .shape is")
        assert isinstance(got, tuple) and len(got) == 2, (
            f"weight_shape should return a pair (rows, columns), got {got!r}")
        got = tuple(int(v) if hasattr(v, "__index__") else v for v in got)
        if got != reference_weight_shape(sizes, l):
            raise AssertionError(_name(sizes, l, got, narrowing_passed))
        narrowing_passed = narrowing_passed or sizes[l] < sizes[l - 1]
