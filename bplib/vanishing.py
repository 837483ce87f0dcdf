r"""Vanishing gradients: how |dl/dW^(l)| changes with the layer in a deep MLP.

Backpropagation multiplies, layer after layer, dl/dx^(l-1) = (W^(l))^T
(sigma'(s^(l)) * dl/dx^(l)). For the sigmoid sigma' <= 1/4, so each layer can
shrink the gradient by a factor of 4 or more, and the first layers of a deep
sigmoid network barely learn; tanh (sigma'(0) = 1) and relu (sigma' = 1 where
the neuron is active) keep it about the same size with W^(l)_jk ~ N(0, 1/d_{l-1}).
"""
import numbers

import numpy as np

from . import activations
from ._check import NotationError
from .mlp import MLP


def layer_gradient_norms(sigma, depth=10, width=32, N=64, seed=0):
    """|dl/dW^(l)| for l = 1..depth, on a network of ``depth`` layers of ``width`` neurons.

    The network has sizes [width] * (depth + 1), the activation ``sigma`` on
    layers 1..L-1 and the identity on layer L, MLP's initial weights, and the
    quadratic loss on N random samples x ~ N(0, I), y ~ N(0, I).

    Parameters
    ----------
    sigma : Activation or str, e.g. "sigmoid"
    depth : int, L
    width : int, d_l for every l
    N : int, the number of samples
    seed : int, the seed of the weights and the samples

    Returns
    -------
    array, shape (depth,)
        Entry l - 1 is the Frobenius norm ||dl/dW^(l)|| = sqrt(sum_jk (dl/dw^l_jk)^2).
    """
    for name, value in (("depth", depth), ("width", width), ("N", N), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < (
                0 if name == "seed" else 1):
            raise NotationError(f"{name} must be a whole number >= {0 if name == 'seed' else 1}, "
                                f"got {value!r}")
    sigma = activations.get(sigma)
    net = MLP([width] * (depth + 1), sigma=sigma, output_sigma="identity", seed=seed)
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(N, width)), rng.normal(size=(N, width))
    grads = net.gradients(X, Y, "quadratic", input_gradient=False)
    return np.array([np.linalg.norm(grads.W[l]) for l in range(1, depth + 1)])


def vanishing_gradients(sigmas=("sigmoid", "tanh", "relu"), depth=10, width=32, N=64, seed=0):
    """{sigma's name: |dl/dW^(l)| for l = 1..depth}, each from ``layer_gradient_norms``."""
    return {activations.get(s).name: layer_gradient_norms(s, depth, width, N, seed)
            for s in sigmas}
