r"""Losses l(x^(L), y) with their gradient dl/dx^(L).

For a batch (samples as rows) the value is the lecture's sum over samples,
L = sum_n l_n, and the gradient has one row per sample.
"""
import numpy as np

from ._check import NotationError, as_real_array, require_finite


class Loss:
    """A loss: ``loss(xL, y)`` is its value, ``loss.gradient(xL, y)`` is dl/dx^(L)."""

    name = "loss"

    def targets(self, xL, y):
        """y as an array of the shape of x^(L), after checking it."""
        y = as_real_array(y, "y")
        if y.shape != xL.shape:
            raise NotationError(_shape_of_y(xL, y))
        require_finite(y, "y")
        return y

    def __call__(self, xL, y):
        xL = _output(xL)
        return float(self.value(xL, self.targets(xL, y)))

    def gradient(self, xL, y):
        """dl/dx^(L), same shape as x^(L): (d_L,) or (N, d_L)."""
        xL = _output(xL)
        return self.grad(xL, self.targets(xL, y))

    def value_and_grad(self, xL, y):
        """l and dl/dx^(L) for checked arrays, as ``net.gradients`` needs both."""
        return float(self.value(xL, y)), self.grad(xL, y)

    def __repr__(self):
        return self.name


def _output(xL):
    """x^(L) as a float array of shape (d_L,) or (N, d_L), after checking it."""
    xL = as_real_array(xL, "x^(L)")
    if xL.ndim not in (1, 2) or xL.size == 0:
        raise NotationError(f"x^(L) must have shape (d_L,) for one sample or (N, d_L) for a "
                            f"batch, got {xL.shape}")
    require_finite(xL, "x^(L)")
    return xL


def _shape_of_y(xL, y):
    if xL.ndim == 1:
        want = f"({xL.shape[0]},) = (d_L,)"
    else:
        want = f"({xL.shape[0]}, {xL.shape[1]}) = (N, d_L)"
    return f"y must have shape {want} like x^(L), got {y.shape}"


class Quadratic(Loss):
    """l = 1/2 ||x^(L) - y||^2, dl/dx^(L) = x^(L) - y."""

    name = "quadratic"

    def value(self, xL, y):
        return 0.5 * np.sum((xL - y) ** 2)

    def grad(self, xL, y):
        return xL - y

    def value_and_grad(self, xL, y):
        dl_dxL = xL - y  # the value is 1/2 ||dl/dx^(L)||^2: one subtraction serves both
        return 0.5 * float(np.vdot(dl_dxL, dl_dxL)), dl_dxL


class CrossEntropy(Loss):
    """l = -sum_j y_j log x^(L)_j for probabilities x^(L) (after softmax).

    y is one-hot of the shape of x^(L), or class labels: an int for one
    sample, shape (N,) for a batch. dl/dx^(L) = -y / x^(L); after softmax,
    ``net.gradients`` starts the backward pass from dl/ds^(L) = x^(L) - y
    (``grad_after_softmax``), which stays exact where softmax saturates.
    """

    name = "cross_entropy"
    tiny = 1e-300  # log(0) guard; a probability this small is already a wrong answer

    def targets(self, xL, y):
        y_arr = np.asarray(y)
        labels = y_arr.ndim == xL.ndim - 1 and (
            np.issubdtype(y_arr.dtype, np.integer) or y_arr.ndim == 0)
        if xL.size and (xL.min() < 0 or xL.max() > 1 + 1e-12):
            raise NotationError(
                "cross_entropy takes probabilities x^(L) in [0, 1], as softmax gives them; "
                f"got values in [{xL.min():.3g}, {xL.max():.3g}] (use output_sigma='softmax')")
        if not labels:
            return super().targets(xL, y)
        if xL.ndim == 2 and y_arr.shape != (xL.shape[0],):
            raise NotationError(
                f"y has {y_arr.size} labels but the batch has {xL.shape[0]} samples")
        if not np.issubdtype(y_arr.dtype, np.integer) and not (
                (np.issubdtype(y_arr.dtype, np.floating) or y_arr.dtype == bool)
                and np.isfinite(y_arr) and float(y_arr).is_integer()):
            raise NotationError(f"a class label must be a whole number 0..d_L-1, got {y!r}")
        y_arr = y_arr.astype(int)
        d = xL.shape[-1]
        if np.any((y_arr < 0) | (y_arr >= d)):
            raise NotationError(f"class labels must be in 0..d_L-1 = 0..{d - 1}, got {y_arr.tolist()}")
        return np.eye(d)[y_arr]

    def value(self, xL, y):
        return -np.sum(y * np.log(np.maximum(xL, self.tiny)))

    def grad(self, xL, y):
        return -y / np.maximum(xL, self.tiny)

    def value_after_softmax(self, sL, y):
        """l for x^(L) = softmax(s^(L)), from log x^(L)_j = s^(L)_j - log sum_k e^(s^(L)_k).

        Exact where x^(L)_j underflows to 0, where log x^(L)_j cannot be taken.
        """
        shifted = sL - sL.max(axis=-1, keepdims=True)  # no overflow in e^(s_k)
        log_x = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return float(-np.sum(y * log_x))

    def grad_after_softmax(self, xL, y):
        """dl/ds^(L) for x^(L) = softmax(s^(L)): J^T dl/dx^(L) = x^(L) sum_j y_j - y.

        With J = diag(x) - x x^T and dl/dx_j = -y_j / x_j, the divisions cancel; for
        one-hot targets (sum_j y_j = 1) this is the lecture's x^(L) - y. Exact where
        x^(L)_j underflows, which -y_j / x^(L)_j cannot be.
        """
        return xL * y.sum(axis=-1, keepdims=True) - y


quadratic = Quadratic()
cross_entropy = CrossEntropy()

LOSSES = {"quadratic": quadratic, "cross_entropy": cross_entropy}


def get(loss):
    """A loss by object or name ('quadratic', 'cross_entropy')."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise NotationError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
        return LOSSES[loss]
    if not isinstance(loss, Loss):
        raise NotationError(f"loss must be a bplib loss (quadratic or cross_entropy), got {loss!r}")
    return loss
