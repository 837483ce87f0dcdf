"""The usual mistakes of the graded exercises, each with the values it gives.

For each graded exercise, a table of named mistakes: a stable id (what the
gradebook keeps, e.g. ``nb08.backward.missing_sigma_prime``), a short name
for the instructor's report, the value it stands for in the lecture's words
("the one without sigma'(s^(1))") and a function of the exercise's inputs
that returns what the exercise's function returns with that mistake.

A hidden test calls ``bpcourse.report.report_mistakes`` with the inputs it
drew; in the solution's run those values are trusted, and the grader, in its
own process, records a mistake when a wrong answer's numbers equal its values.
The words are read from this table by the grader, never from a kernel.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mistake:
    """One usual mistake of an exercise.

    Attributes
    ----------
    id : str
        ``<exercise>.<mistake>``, stable: gradebooks keep it.
    name : str
        A few words for a chart, e.g. ``"sigma'(s^(1)) missing"``.
    what : str
        The value it gives, to end "your dl/dW^(1) equals ...".
    values : callable
        The exercise's inputs -> the exercise's result with this mistake;
        it raises (e.g. ValueError) where the mistake cannot run on those shapes.
    """
    id: str
    name: str
    what: str
    values: callable


@dataclass(frozen=True)
class Exercise:
    """A graded exercise: what its result is called, how a hidden test reports it, its mistakes.

    Attributes
    ----------
    id : str
        ``nbNN.<exercise>``.
    quantity : str
        The result in the lecture's words, e.g. ``"dl/dW^(1)"``.
    reports : callable
        (result, label) -> list of (report name, array): the names the hidden
        test gives the same result (``label`` tells apart its calls).
    mistakes : tuple of Mistake
    """
    id: str
    quantity: str
    reports: callable
    mistakes: tuple


def _plain(result, label):
    return [(label, np.asarray(result, dtype=float))]


def _grads(result, label):
    """The hidden test's names for a backward pass: ``<label> dW[l]``, ``<label> db[l]``."""
    out = []
    for l in sorted(result.W):
        out += [(f"{label} dW[{l}]", result.W[l]), (f"{label} db[{l}]", result.b[l])]
    return out


def _exercise(id, quantity, reports, table):
    return Exercise(id, quantity, reports,
                    tuple(Mistake(f"{id}.{key}", name, what, fn) for key, name, what, fn in table))


# The checks' own variants give the values (imported when used: the grader reads this
# table's words without the notebooks' checks).
def _backward(**kwargs):
    def values(net, trace, dl_dsL):
        from .nb08 import _variant
        return _variant(net, trace, dl_dsL, **kwargs)
    return values


def _layer_step(**kwargs):
    def values(dl_ds, x_prev, W):
        from .nb08 import _layer
        return _layer(dl_ds, x_prev, W, **kwargs)
    return values


def _step(result, label):
    """The hidden test's names for one layer's step: ``<label> dW``, ``<label> db``, ``<label> dx``."""
    return [(f"{label} {name}", np.asarray(v, dtype=float))
            for name, v in zip(("dW", "db", "dx"), result)]


def _by_hand(l, **kwargs):
    def values(net, trace, y):
        from .nb08 import _by_hand
        return _by_hand(net, trace, y, l, **kwargs)
    return values


def _forward(**kwargs):
    def values(net, x):
        from .nb04 import _variant
        return _variant(net, x, np.ndim(x) == 2, **kwargs)
    return values


def _shapes(shape):
    """The shapes of W^(1..L) for sizes [d_0, ..., d_L], with ``shape(d_l, d_prev)`` for each."""
    def values(sizes):
        return [shape(sizes[l], sizes[l - 1]) for l in range(1, len(sizes))]
    return values


def _difference(scale=1, h_power=0, **kwargs):
    """J_f(x) by a difference quotient with one mistake: ``scale * h**h_power`` times it."""
    def values(f, x, h=1e-5):
        from .nb02 import _difference
        return scale * h ** h_power * _difference(f, x, h, **kwargs)
    return values


def _pairs(result, label):
    """The hidden test's names for (dW, db): ``<label>dW[l]``, ``<label>db[l]``."""
    dW, db = result
    out = []
    for l in sorted(dW):
        out += [(f"{label}dW[{l}]", dW[l]), (f"{label}db[{l}]", db[l])]
    return out


def _fd(scale=1, mean=False):
    """(dW, db) by central differences with one mistake, from the checks' reference."""
    def values(net, x, y, loss, h=1e-5):
        from .nb05 import finite_difference_gradients
        dW, db = finite_difference_gradients(net, x, y, loss, h)
        c = scale / (len(x) if mean and np.ndim(x) == 2 else 1)   # a mean needs a batch
        return {l: c * g for l, g in dW.items()}, {l: c * g for l, g in db.items()}
    return values


def _engine(**kwargs):
    """The gradients of a graph after two backward passes, by an engine with one mistake."""
    def values(recipe):
        from .nb06 import _engine_variant
        return _engine_variant(recipe, **kwargs)
    return values


def _two_passes(result, label):
    """The hidden test's names for an engine's gradients: ``<label>``, then ``<label> again``."""
    first, again = result
    return [(label, np.asarray(first, dtype=float)), (f"{label} again", np.asarray(again, dtype=float))]


def _jacobian(wrong):
    """J of sin(A x + b) with one mistake; ``wrong(A, D, s, x)`` with D = diag(cos(s))."""
    def values(A, b, x):
        s = A @ x + b
        return wrong(A, np.diag(np.cos(s)), s, x)
    return values


def _softmax(mistake):
    """notebook 07's J_softmax(s) with one mistake, from its checks' ``softmax_variant``."""
    def values(s):
        from . import nb07
        return nb07.softmax_variant(s, mistake)
    return values


def _nb09(variant, mistake):
    """notebook 09's result with one mistake, from its checks' variant ``variant``."""
    def values(*inputs):
        from . import nb09
        return getattr(nb09, variant)(*inputs, mistake)
    return values


def _deltas(result, label):
    """The hidden test's names for the pair (delta^(L) quadratic, delta^(L) cross-entropy)."""
    return [(f"{label} quadratic", np.asarray(result[0], dtype=float)),
            (f"{label} cross_entropy", np.asarray(result[1], dtype=float))]


EXERCISES = {e.id: e for e in [
    _exercise("nb01.weight_shape", "the shape of W^(l)", _plain, [
        ("swapped", "(d_(l-1), d_l)", "the shape (d_(l-1), d_l): rows and columns swapped",
         _shapes(lambda d_l, d_prev: (d_prev, d_l))),
        ("smaller_first", "the smaller size first",
         "the smaller size first, right only where the layers narrow",
         _shapes(lambda d_l, d_prev: (min(d_l, d_prev), max(d_l, d_prev)))),
    ]),
    _exercise("nb02.numerical_jacobian", "J_f(x) by central differences", _plain, [
        ("forward_difference", "forward differences",
         "forward differences (f(x + h e_j) - f(x)) / h, one-sided, error of order h",
         _difference(forward=True)),
        ("backward_difference", "backward differences",
         "backward differences (f(x) - f(x - h e_j)) / h, one-sided, error of order h",
         _difference(backward=True)),
        ("dropped_half", "the 1/2 dropped", "the central difference divided by h, not 2h",
         _difference(scale=2)),
        ("slash_2_times_h", "/ 2 * h for / (2h)",
         "the central difference with `/ 2 * h`: divided by 2, multiplied by h",
         _difference(h_power=2)),
        ("wrong_sign", "wrong sign", "(f(x - h e_j) - f(x + h e_j)) / (2h), the wrong sign",
         _difference(scale=-1)),
    ]),
    _exercise("nb04.forward", "x^(L)", _plain, [
        ("hidden_sigma_on_output", "hidden sigma on the output layer",
         "the one with the hidden layers' sigma on layer L too",
         _forward(sigma="same")),
        ("missing_bias", "b^(l) missing", "the one without the biases b^(l)",
         _forward(bias="none")),
        ("bias_after_sigma", "bias added after sigma",
         "the one with b^(l) added after sigma, sigma(W^(l) x^(l-1)) + b^(l)",
         _forward(bias="after")),
        ("returns_s", "s^(L) for x^(L)", "s^(L), the weighted input of layer L before sigma",
         _forward(sigma="none-last")),
        ("w_transposed", "W^T for W", "the one with (W^(l))^T x^(l-1) for W^(l) x^(l-1)",
         _forward(transpose=True)),
        ("hard_coded_sigmoid", "a sigmoid hard-coded",
         "the one with a sigmoid of its own on every layer, not net.activation(l)",
         _forward(sigma="sigmoid")),
        ("hard_coded_tanh_sigmoid", "tanh and sigmoid hard-coded",
         "the one with tanh on the hidden layers and a sigmoid on layer L, whatever the network's "
         "activations, not net.activation(l)", _forward(sigma="tanh-sigmoid")),
    ]),
    _exercise("nb05.fd", "dl/dW^(l) and dl/db^(l)", _pairs, [
        ("mean_not_sum", "a mean where the lecture sums",
         "the one divided by N, a mean where the lecture's loss sums over samples",
         _fd(mean=True)),
        ("dropped_half", "the 1/2 dropped", "the central difference divided by h, not 2h",
         _fd(scale=2)),
        ("wrong_sign", "wrong sign", "(l(w - h) - l(w + h)) / (2h), the wrong sign",
         _fd(scale=-1)),
    ]),
    _exercise("nb06.engine", "dl/d(node)", _two_passes, [
        ("assign_not_accumulate", "= for +=",
         "the one with = where a step adds (+=): a node used twice keeps one path's gradient",
         _engine(accumulate=False)),
        ("order_not_reversed", "steps from the inputs up",
         "the one with the backward steps run in topological order, not its reverse",
         _engine(order="forward")),
        ("order_by_levels", "steps level by level",
         "the one with the steps run level by level from l, a node before all its consumers",
         _engine(order="bfs")),
        ("visited_twice", "a node visited twice",
         "the one with a node listed once per path to it, its step run more than once",
         _engine(once=False)),
        ("not_reset", "grad not reset", "the one whose second backward() adds onto the first's",
         _engine(reset=False)),
        ("sigma_at_output", "sigma' at sigma's output",
         "the one with sigma' taken at the value sigma leaves", _engine(local="sigma_at_output")),
        ("sigma_itself", "sigma for sigma'", "the one with sigma itself for its slope sigma'",
         _engine(local="sigma_itself")),
        ("square_no_2", "2 missing in d(a^2)/da", "the one without the factor 2 of the square",
         _engine(local="square_no_2")),
        ("mul_own_factor", "own factor in *",
         "the one with a factor's own value for d(a b)/da", _engine(local="mul_own_factor")),
    ]),
    _exercise("nb07.sin_linear", "J_f(x)", _plain, [
        ("only_linear", "J_sin(s) missing", "J_linear = A alone, without J_sin(s) = diag(cos(s))",
         _jacobian(lambda A, D, s, x: A)),
        ("sin_for_cos", "sin for cos", "the one with diag(sin(s)) for diag(cos(s))",
         _jacobian(lambda A, D, s, x: np.diag(np.sin(s)) @ A)),
        ("wrong_sign", "wrong sign", "the one with -diag(cos(s)), the wrong sign",
         _jacobian(lambda A, D, s, x: -D @ A)),
        ("b_forgotten", "J_sin at A x (b missing)",
         "the one with J_sin taken at A x, without b",
         _jacobian(lambda A, D, s, x: np.diag(np.cos(A @ x)) @ A)),
        ("at_x", "J_sin at x", "the one with J_sin taken at x instead of s = A x + b",
         _jacobian(lambda A, D, s, x: np.diag(np.cos(x)) @ A)),
        ("wrong_order", "factors in the wrong order", "J_linear J_sin(s), the factors swapped",
         _jacobian(lambda A, D, s, x: A @ D)),
        ("a_transposed", "A^T for A", "the one with A^T for J_linear = A",
         _jacobian(lambda A, D, s, x: D @ A.T)),
    ]),
    _exercise("nb07.softmax", "J_softmax(s)", _plain, [
        ("only_diagonal", "only the diagonal",
         "diag(p (1 - p)), the softmax's diagonal alone, as if p_i depended on s_i only",
         _softmax("only_diagonal")),
        ("off_diagonal_sign", "wrong sign off the diagonal",
         "the one with +p_i p_k off the diagonal, the wrong sign", _softmax("off_diagonal_sign")),
        ("only_diag_p", "diag(p) alone",
         "diag(p), the quotient rule's numerator term alone", _softmax("only_diag_p")),
        ("only_outer", "-p p^T alone",
         "-p p^T, the quotient rule's denominator term alone", _softmax("only_outer")),
        ("sigmoid_derivative", "the sigmoid's derivative",
         "diag(sigma(s)(1 - sigma(s))), the sigmoid's derivative", _softmax("sigmoid_derivative")),
        ("sigmoid_for_p", "sigma(s) for p",
         "the one built from sigma(s), the sigmoid, where p = softmax(s) belongs",
         _softmax("sigmoid_for_p")),
        ("s_for_p", "s for p", "the one with s where p = softmax(s) belongs",
         _softmax("s_for_p")),
        ("diagonal_vector", "the diagonal as a vector",
         "the vector of dp_i/ds_i, J's diagonal alone", _softmax("diagonal_vector")),
        ("overflow", "a softmax that overflows",
         "the one with e^{s_k} taken as it is, nan where s is large: subtract the max of s first",
         _softmax("overflow")),
    ]),
    _exercise("nb08.output_weight", "dl/dW^(2)", _plain, [
        ("missing_sigma_prime", "sigma'(s^(2)) missing", "the one without sigma'(s^(2))",
         _by_hand(2, dsigma2="none")),
        ("sigma_prime_at_x", "sigma'(x^(2)) for sigma'(s^(2))",
         "the one with sigma' taken at x^(2) instead of s^(2)", _by_hand(2, dsigma2="x")),
        ("wrong_sign", "wrong sign", "the one with y - x^(2) for x^(2) - y, the wrong sign",
         _by_hand(2, sign=-1)),
        ("input_of_network", "x^(0) for x^(1)", "the one with x^(0) where x^(1) enters layer 2",
         _by_hand(2, x_in="this")),
    ]),
    _exercise("nb08.hidden_weight", "dl/dW^(1)", _plain, [
        ("missing_sigma_prime_hidden", "sigma'(s^(1)) missing", "the one without sigma'(s^(1))",
         _by_hand(1, dsigma1="none")),
        ("missing_sigma_prime_output", "sigma'(s^(2)) missing", "the one without sigma'(s^(2))",
         _by_hand(1, dsigma2="none")),
        ("last_path_only", "one path of the fan-out",
         "the one through the last output neuron only, one path of the fan-out",
         _by_hand(1, paths="last")),
        ("w_transposed", "w^2_ji for w^2_ij", "the one with w^2_ji for w^2_ij",
         _by_hand(1, back="WT")),
        ("sigma_prime_at_x", "sigma'(x) for sigma'(s)",
         "the one with sigma' taken at x instead of s", _by_hand(1, dsigma1="x", dsigma2="x")),
        ("sigma_prime_at_x_hidden", "sigma'(x^(1)) for sigma'(s^(1))",
         "the one with sigma' taken at x^(1) instead of s^(1)", _by_hand(1, dsigma1="x")),
        ("x1_for_x0", "x^(1) for x^(0)", "the one with x^(1) where x^(0) enters layer 1",
         _by_hand(1, x_in="this")),
        ("wrong_sign", "wrong sign", "the one with the wrong sign", _by_hand(1, sign=-1)),
    ]),
    _exercise("nb08.layer_backward", "one layer's backward step", _step, [
        ("w_not_transposed", "W for W^T",
         "the one with W^(l) where (W^(l))^T belongs in dl/dx^(l-1)", _layer_step(back_W="WT")),
        ("columns_for_rows", "a batch's rows taken as columns",
         "the one with (W^(l))^T times the whole (N, d_l) dl_ds, as if its columns were samples",
         _layer_step(dx="columns")),
        ("outer_reversed", "outer product the wrong way round",
         "the one with x^(l-1) (dl/ds^(l))^T, the outer product the wrong way round",
         _layer_step(outer="wrong")),
        ("mean_not_sum", "a mean where the lecture sums",
         "the one divided by N, a mean where the lecture's loss sums over samples",
         _layer_step(reduce="mean")),
        ("bias_zero", "dl/db^(l) = 0", "the one with dl/db^(l) = 0", _layer_step(db="zero")),
        ("wrong_sign", "wrong sign", "the one with every sign flipped", _layer_step(sign=-1)),
    ]),
    _exercise("nb08.backward", "backward pass", _grads, [
        ("missing_sigma_prime", "sigma' missing", "the one without sigma'(s^(l)), "
         "dl/ds^(l) = dl/dx^(l)", _backward(dsigma="none")),
        ("sigma_prime_at_x", "sigma'(x^(l)) for sigma'(s^(l))",
         "the one with sigma' taken at x^(l) instead of s^(l)", _backward(dsigma="x")),
        ("local_arguments_swapped", "s and x swapped in sigma'",
         "the one with local_derivative(name, x^(l), s^(l)), s and x swapped",
         _backward(dsigma="swapped")),
        ("sigma_prime_of_next_layer", "layer l's sigma' for layer l-1's",
         "the one with sigma'(s^(l)) where sigma'(s^(l-1)) belongs", _backward(dsigma="layer")),
        ("output_sigma_prime_again", "sigma'(s^(L)) twice",
         "the one that multiplies delta^(L) by sigma'(s^(L)) again", _backward(output="again")),
        ("w_not_transposed", "W for W^T",
         "the one with W^(l) where (W^(l))^T belongs in dl/dx^(l-1)", _backward(back_W="WT")),
        ("outer_reversed", "outer product the wrong way round",
         "the one with x^(l-1) (dl/ds^(l))^T for dl/dW^(l)", _backward(outer="wrong")),
        ("bias_zero", "dl/db^(l) = 0", "the one with dl/db^(l) = 0", _backward(db="zero")),
        ("x_of_this_layer", "x^(l) for x^(l-1)", "the one with x^(l) for x^(l-1) in dl/dW^(l)",
         _backward(x_in="this")),
        ("mean_not_sum", "a mean where the lecture sums",
         "the one divided by N, a mean where the lecture's loss sums over samples",
         _backward(reduce="mean")),
        ("wrong_sign", "wrong sign", "the one with every sign flipped", _backward(sign=-1)),
    ]),
    _exercise("nb09.trace_floats", "count of the trace's floats", _plain, [
        ("no_input", "x^(0) left out", "the count without x^(0)",
         _nb09("_memory_variant", "no_input")),
        ("no_s", "s^(l) left out", "the count of the x^(l) alone, without s^(l)",
         _nb09("_memory_variant", "no_s")),
        ("one_sample", "N left out", "one sample's count, without the factor N",
         _nb09("_memory_variant", "one_sample")),
        ("bytes", "bytes for floats", "the number of bytes, 8 per float",
         _nb09("_memory_variant", "bytes")),
        ("parameters", "the parameters counted", "the number of parameters W^(l), b^(l)",
         _nb09("_memory_variant", "parameters")),
        ("s_only_hidden", "s^(L) left out", "the count without s^(L) of the output layer",
         _nb09("_memory_variant", "s_only_hidden")),
    ]),
    _exercise("nb09.zero_entries", "mask of the zero entries of dl/dW^(l)", _plain, [
        ("columns_only", "x^(l-1)_k = 0 only",
         "the mask of the columns with x^(l-1)_k = 0 alone, without the rows where "
         "sigma'(s^l_j) = 0", _nb09("_zero_variant", "columns_only")),
        ("rows_only", "sigma'(s^l_j) = 0 only",
         "the mask of the rows with sigma'(s^l_j) = 0 alone, without the columns where "
         "x^(l-1)_k = 0", _nb09("_zero_variant", "rows_only")),
        ("both", "and for or", "the mask of the entries where both factors of BP4 are 0",
         _nb09("_zero_variant", "both")),
        ("relu_rows_everywhere", "s^l_j <= 0 on every layer",
         "the mask with the rows s^l_j <= 0 on a layer that is not relu too",
         _nb09("_zero_variant", "relu_rows_everywhere")),
    ]),
    _exercise("nb09.saturation", "ratio of |delta|", _plain, [
        ("sigma_prime", "sigma'(s) for the ratio", "sigma'(s), not divided by sigma'(0)",
         _nb09("_saturation_variant", "sigma_prime")),
        ("inverse", "ratio upside down", "the ratio upside down, sigma'(0) / sigma'(s)",
         _nb09("_saturation_variant", "inverse")),
        ("sigma", "sigma for sigma'", "sigma(s), the activation, for its slope",
         _nb09("_saturation_variant", "sigma")),
        ("over_sigma", "divided by sigma(0)", "sigma'(s) / sigma(0), divided by the activation "
         "at 0 instead of the slope", _nb09("_saturation_variant", "over_sigma")),
        ("tail", "the tails' approximation", "the approximation 4 e^(-|s|) of the tails",
         _nb09("_saturation_variant", "tail")),
    ]),
    _exercise("nb09.output_deltas", "delta^(L) of both losses", _deltas, [
        ("quadratic_no_sigma_prime", "sigma' missing (quadratic)",
         "the pair with the quadratic delta^(L) = x^(L) - y, without sigma'(s^(L))",
         _nb09("_output_variant", "quadratic_no_sigma_prime")),
        ("ce_with_sigma_prime", "cross-entropy's delta = quadratic's",
         "the pair with the quadratic loss's delta^(L) for the cross-entropy's too",
         _nb09("_output_variant", "ce_with_sigma_prime")),
        ("ce_dl_dx", "dl/dx^(L) for delta (cross-entropy)",
         "the pair with the cross-entropy's dl/dx^(L) for its delta^(L)",
         _nb09("_output_variant", "ce_dl_dx")),
        ("ce_softmax_form", "the softmax cross-entropy",
         "the pair with notebook 08's -sum_j y_j log x_j for the sigmoid's cross-entropy",
         _nb09("_output_variant", "ce_softmax_form")),
        ("wrong_sign", "wrong sign", "the pair with both signs flipped",
         _nb09("_output_variant", "wrong_sign")),
        ("swapped", "the pair swapped", "the pair in the wrong order",
         _nb09("_output_variant", "swapped")),
        ("sigma_prime_at_x", "sigma'(x^(L)) for sigma'(s^(L))",
         "the pair with the quadratic delta^(L) taking sigma' at x^(L) instead of s^(L)",
         _nb09("_output_variant", "sigma_prime_at_x")),
    ]),
]}
MISTAKES = {m.id: m for e in EXERCISES.values() for m in e.mistakes}


def exercise_of(mistake_id):
    """The Exercise a mistake id belongs to, or None for an id this table does not know."""
    m = MISTAKES.get(mistake_id)
    return EXERCISES[m.id.rsplit(".", 1)[0]] if m else None
