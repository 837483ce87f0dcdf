"""gradient_check passes a correct backward pass and names what is wrong in broken ones."""
import numpy as np
import pytest

from bplib import MLP, NotationError, gradient_check
from bplib.gradcheck import numerical_gradients, relative_error


class Result:
    def __init__(self, W, b):
        self.W, self.b = W, b


def students_backward(net, trace, dl_dxL, *, transpose=False, no_dsigma=False, sign=1.0,
                      factor=1.0, mean=False, only=None):
    """A student's backward pass, written from the lecture, with optional mistakes.

    ``only`` limits the mistakes to one layer (default: every layer).
    """
    batched = dl_dxL.ndim == 2
    N = len(dl_dxL) if batched else 1
    W, b = {}, {}
    dl_dx = dl_dxL
    for l in range(net.L, 0, -1):
        wrong = only is None or only == l
        if no_dsigma and wrong:
            dl_ds = dl_dx
        else:
            dl_ds = net.activation(l).backward(trace.s[l], trace.x[l], dl_dx)
        D, X = np.atleast_2d(dl_ds), np.atleast_2d(trace.x[l - 1])
        gW, gb = D.T @ X, D.sum(axis=0)
        if wrong:
            if transpose:
                gW = gW.T
            scale = sign * factor / (N if mean else 1)
            gW, gb = scale * gW, scale * gb
        W[l], b[l] = gW, gb
        dl_dx = dl_ds @ net.W[l]
    return Result(W, b)


def broken(**mistakes):
    return lambda net, trace, dl_dxL: students_backward(net, trace, dl_dxL, **mistakes)


CASES = {
    "sigmoid, one sample": (lambda: MLP([3, 4, 2], sigma="sigmoid", seed=1), (3,), (2,), "quadratic"),
    "tanh, batch": (lambda: MLP([3, 5, 4, 2], sigma="tanh", seed=2), (5, 3), (5, 2), "quadratic"),
    "softmax, labels": (lambda: MLP([4, 6, 3], sigma="tanh", output_sigma="softmax", seed=3),
                        (4, 4), "labels", "cross_entropy"),
}


def make(case, rng):
    make_net, x_shape, y_shape, loss = CASES[case]
    net = make_net()
    for l in range(1, net.L + 1):
        net.b[l] = rng.normal(0, 0.3, net.sizes[l])
    x = rng.normal(size=x_shape)
    y = rng.integers(0, net.sizes[-1], size=x_shape[0]) if y_shape == "labels" else \
        rng.normal(size=y_shape)
    return net, x, y, loss


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("backward", [None, broken()], ids=["net.backward", "students"])
def test_a_correct_backward_passes(case, backward, rng):
    net, x, y, loss = make(case, rng)
    before = [net.W[l].copy() for l in range(1, net.L + 1)]
    result = gradient_check(net, x, y, loss, backward=backward)
    assert result.passed and bool(result)
    assert result.diagnosis == []
    assert set(result.errors) == {f"{s}^({l})" for l in range(1, net.L + 1) for s in "Wb"}
    assert all(0 <= e < 1e-7 for e in result.errors.values())
    assert all(np.array_equal(net.W[l], W) for l, W in zip(range(1, net.L + 1), before))
    text = str(result)
    assert "passed" in text and "tol = 1e-06" in text and "W^(1)" in text
    assert str(net.W[1].shape) in text


def failing(result, name, phrase):
    assert not result.passed and not bool(result)
    assert result.errors[name] >= result.tol
    hits = [d for d in result.diagnosis if d.startswith(f"dl/d{name}") and phrase in d]
    assert hits, f"no '{phrase}' about {name} in {result.diagnosis}"
    text = str(result)
    assert "failed (tol = 1e-06)" in text and "WRONG" in text and phrase in text


def test_a_transposed_dl_dW_is_named(rng):
    net, x, y, loss = make("tanh, batch", rng)  # W^(1) (5, 3): transposing changes the shape
    result = gradient_check(net, x, y, loss, backward=broken(transpose=True))
    for l in (1, 2, 3):
        failing(result, f"W^({l})", "transposed")
    assert result.errors["b^(1)"] < 1e-7  # the biases were right


def test_a_transposed_square_dl_dW_is_named(rng):
    net = MLP([3, 3, 3], sigma="tanh", seed=4)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    result = gradient_check(net, x, y, backward=broken(transpose=True, only=2))
    failing(result, "W^(2)", "looks transposed")
    assert result.errors["W^(1)"] < 1e-7


@pytest.mark.parametrize("case", ["sigmoid, one sample", "tanh, batch"])
def test_a_missing_sigma_prime_is_named(case, rng):
    net, x, y, loss = make(case, rng)
    result = gradient_check(net, x, y, loss, backward=broken(no_dsigma=True))
    failing(result, f"W^({net.L})", "without sigma'")
    failing(result, "W^(1)", "without sigma'")


@pytest.mark.parametrize("case", list(CASES))
def test_a_wrong_sign_is_named(case, rng):
    net, x, y, loss = make(case, rng)
    result = gradient_check(net, x, y, loss, backward=broken(sign=-1.0))
    for l in range(1, net.L + 1):
        failing(result, f"W^({l})", "wrong sign")
        failing(result, f"b^({l})", "wrong sign")


def test_an_off_by_a_factor_gradient_is_named(rng):
    net, x, y, loss = make("sigmoid, one sample", rng)
    result = gradient_check(net, x, y, loss, backward=broken(factor=2.0, only=1))
    failing(result, "W^(1)", "off by a constant factor 2")
    assert result.errors["W^(2)"] < 1e-7


@pytest.mark.parametrize("case", ["tanh, batch", "softmax, labels"])
def test_the_mean_instead_of_the_sum_is_named(case, rng):
    net, x, y, loss = make(case, rng)
    N = len(x)
    result = gradient_check(net, x, y, loss, backward=broken(mean=True))
    failing(result, "W^(1)", f"1/N = 1/{N}")
    failing(result, "b^(1)", "not the mean")


@pytest.mark.parametrize("returned", [None, {"W": 1}, 3.0, Result([], []),
                                      Result({1: "a"}, {1: "b"})],
                         ids=["None", "dict", "float", "empty lists", "strings"])
def test_a_result_without_W_gives_a_message(returned, rng):
    net, x, y, loss = make("sigmoid, one sample", rng)
    result = gradient_check(net, x, y, loss, backward=lambda *args: returned)
    assert not result.passed
    assert all(e == np.inf for e in result.errors.values())
    assert any("missing from the result" in d for d in result.diagnosis)
    assert "missing from the result" in str(result)


def test_a_nan_gradient_fails_with_a_diagnosis(rng):
    net, x, y, loss = make("sigmoid, one sample", rng)

    def nan_backward(net, trace, dl_dxL):
        good = net.backward(trace, dl_dxL)
        return Result({1: np.full_like(good.W[1], np.nan), 2: good.W[2]}, good.b)

    result = gradient_check(net, x, y, loss, backward=nan_backward)
    failing(result, "W^(1)", "NaN")
    assert result.errors["W^(2)"] < 1e-7


def test_the_tolerance_decides(rng):
    net, x, y, loss = make("tanh, batch", rng)
    slightly_off = broken(factor=1 + 1e-4)
    assert not gradient_check(net, x, y, loss, backward=slightly_off).passed
    loose = gradient_check(net, x, y, loss, backward=slightly_off, tol=1e-3)
    assert loose.passed and "tol = 1e-03" in str(loose)


def test_numerical_gradients_leave_the_net_alone_and_are_accurate(rng):
    net, x, y, loss = make("tanh, batch", rng)
    before = [net.W[l].copy() for l in range(1, net.L + 1)]
    numeric = numerical_gradients(net, x, y, loss)
    grads = net.gradients(x, y, loss)
    for l in range(1, net.L + 1):
        assert numeric[f"W^({l})"].shape == net.W[l].shape
        assert relative_error(grads.W[l], numeric[f"W^({l})"]) < 1e-8
        np.testing.assert_array_equal(net.W[l], before[l - 1])


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(2), -np.ones(2)) == pytest.approx(1.0)
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-8])) < 1e-8


@pytest.mark.parametrize("kwargs, words", [
    (dict(tol=0), "tol must be a positive number"),
    (dict(tol="1e-6"), "tol must be a positive number"),
    (dict(backward=3), "backward must be a function"),
    (dict(loss="hinge"), "unknown loss"),
])
def test_bad_arguments_of_gradient_check(kwargs, words, rng):
    net, x, y, loss = make("sigmoid, one sample", rng)
    kwargs.setdefault("loss", loss)
    with pytest.raises(ValueError) as info:
        gradient_check(net, x, y, **kwargs)
    assert words in str(info.value)
    with pytest.raises(NotationError, match="takes a bplib.MLP"):
        gradient_check("net", x, y)
