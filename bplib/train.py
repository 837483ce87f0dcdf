"""Gradient descent and minibatch SGD on the sum loss L(W, b) = sum_n l_n."""
import numbers

import numpy as np
from tqdm.auto import tqdm

from . import losses
from ._check import NotationError, require_whole


def step(net, X, y, loss=losses.quadratic, lr=0.1):
    """One gradient-descent step W^(l) <- W^(l) - lr dL/dW^(l), b likewise.

    The gradients come from ``net.gradients``, or from ``net.backward`` when that
    was replaced (by a student's own backward pass), so the network trains with that one.
    A replaced ``net.backward(trace, dl_dxL)`` starts from dl/dx^(L); one that starts from
    delta^(L) = dl/ds^(L) instead comes with ``net.delta_L(xL, y)``, which gives delta^(L)
    from x^(L) and the targets (one-hot rows for cross_entropy), and is called as
    ``net.backward(trace, net.delta_L(xL, y))``.

    Parameters
    ----------
    net : MLP, updated in place
    X : array, (N, d_0) or (d_0,)
    y : targets for X
    loss : Loss or str
    lr : float, the learning rate

    Returns
    -------
    float
        The loss L before the step.
    """
    _check_lr(lr)
    loss = losses.get(loss)
    own = vars(net)
    if "delta_L" in own and "backward" not in own:
        raise NotationError("net.delta_L gives delta^(L) = dl/ds^(L), where a backward pass of "
                            "one's own starts: set net.backward to that pass too")
    if "backward" in own:  # a backward pass of one's own, from dl/dx^(L) or from delta^(L)
        trace = net.forward(X)
        y = loss.targets(trace.output, y)
        value = float(loss.value(trace.output, y))
        start = own["delta_L"](trace.output, y) if "delta_L" in own else \
            loss.grad(trace.output, y)
        grads = net.backward(trace, start)
    else:
        grads = net.gradients(X, y, loss, input_gradient=False)  # W and b need no dl/dx^(0)
        value = grads.loss
    before = [(l, net.W[l], net.b[l]) for l in range(1, net.L + 1)]
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # refused below, with a message
            for l in range(1, net.L + 1):
                # New arrays, not in-place updates: the checks of net.W[l] = ... refuse NaN
                # and infinities first; arrays made here need no copy of their own.
                net.W._assign(l, net.W[l] - lr * grads.W[l], copy=False)
                net.b._assign(l, net.b[l] - lr * grads.b[l], copy=False)
    except NotationError:
        for l, W, b in before:  # all layers or none: a diverging step changes nothing
            net.W[l], net.b[l] = W, b
        raise
    return value


def _check_lr(lr):
    if (isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real)
            or not np.isfinite(lr) or lr <= 0):
        raise NotationError(f"the learning rate must be a positive number, got {lr!r}")


def train(net, X, y, loss=losses.quadratic, lr=0.1, epochs=100, batch_size=None, seed=0,
          progress=True):
    """Gradient descent (``batch_size=None``) or minibatch SGD.

    Parameters
    ----------
    net : MLP, trained in place
    X : array, shape (N, d_0)
    y : targets, shape (N, d_L) or labels (N,) for cross_entropy
    loss : Loss or str
    lr : float
    epochs : int
    batch_size : int, optional
        Samples per step; each epoch visits every sample once, in a shuffled order.
    seed : int
        Seed of the shuffling.
    progress : bool
        Show a tqdm progress bar (in a terminal or in JupyterLab).

    Returns
    -------
    list of float
        The loss summed over all samples after each epoch.
    """
    loss = losses.get(loss)
    _check_lr(lr)
    require_whole(epochs, "epochs", least=1)
    if batch_size is not None:
        require_whole(batch_size, "batch_size", least=1)
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or len(X) == 0:
        raise NotationError(f"train takes a batch X of shape (N, d_0) with N >= 1, got {X.shape}")
    if y.ndim == 0 or len(y) != len(X):
        got = f"{len(y)} targets" if y.ndim else "a single number"
        raise NotationError(f"X has {len(X)} samples but y has {got}: "
                            "give one target (or label) per sample")
    rng = np.random.default_rng(seed)
    history = []
    bar = tqdm(range(epochs), desc="training", disable=not progress, leave=False)
    for _ in bar:
        if batch_size is None:
            step(net, X, y, loss, lr)
        else:
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                step(net, X[batch], y[batch], loss, lr)
        history.append(loss(net(X), y))
        bar.set_postfix(loss=f"{history[-1]:.4g}")
    return history


def predict(net, X):
    """Class labels: the index of the largest output, shape (N,)."""
    out = net(X)
    if out.shape[-1] == 1:  # one output unit: a threshold at 1/2
        return (out[..., 0] > 0.5).astype(int)
    return np.argmax(out, axis=-1)


def accuracy(net, X, y):
    """The fraction of samples whose predicted label is y.

    y holds labels, shape (N,), or one-hot rows, shape (N, d_L).
    """
    labels = predict(net, X)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows
        y = np.argmax(y, axis=1)
    if y.shape != labels.shape:
        raise NotationError(
            f"y must hold one label per sample, shape {labels.shape}, got {y.shape}")
    return float(np.mean(labels == y))
