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
from . import data, graph, train, vanishing  # noqa: E402  (submodules, as bplib.data etc.)


def __getattr__(name):
    # matplotlib and ipywidgets take most of a second to import; a grading
    # kernel or a script that never draws should not wait for them.
    if name in ("plots", "widgets"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'bplib' has no attribute {name!r}")
