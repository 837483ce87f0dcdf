"""bplib: backpropagation in the notation of the lecture "Deep Learning, 5 Backpropagation-1".

Layers are numbered as on the slides: x^(0) is the input, W^(l), b^(l) for
l = 1..L. See README.md for the table of symbols and names.
"""
from ._check import NotationError
from .activations import identity, relu, sigmoid, softmax, tanh
from .calculus import (Function, chain_rule, compose, cos, derivative, exp, gradient,
                       jacobian, jacobian_chain, linear, log, sin, square)
from .losses import cross_entropy, quadratic
from .mlp import MLP, Grads, Trace

__version__ = "0.1.0"
from .gradcheck import gradient_check
from . import data, plots, train  # noqa: E402  (submodules, as bplib.data etc.)
