r"""Gradient descent you can watch: W^(l) <- W^(l) - lr dL/dW^(l), one Step at a time.

``playground_step`` runs the steps and returns the loss history as numbers
and text; ``Playground`` adds a learning-rate slider, a Step button, a Play
control and a Reset, and redraws the loss curve and the decision regions.
Everything is seeded, so the same clicks give the same pictures.
"""
from dataclasses import dataclass

import ipywidgets as w
import numpy as np

from .. import data, losses, train
from .._check import NotationError, require_whole
from ..mlp import MLP
from ._base import Widget, figure, image, png, safe, wipe

DATASETS = {"xor": lambda seed: data.xor(), "moons": lambda seed: data.moons(n=100, seed=seed)}
OUTPUTS = {
    "1 sigmoid unit, quadratic loss": dict(d_L=1, output_sigma="sigmoid", loss="quadratic"),
    "softmax, cross-entropy loss": dict(d_L=2, output_sigma="softmax", loss="cross_entropy"),
}


@dataclass
class Progress:
    """Where gradient descent has got to.

    Attributes
    ----------
    history : list of float
        The loss L = sum_n l_n: before the first step, then after each step.
    accuracy : float, the fraction of samples classified right
    steps : int, how many steps the last call made
    lr : float, the learning rate it used
    """

    history: list
    accuracy: float
    steps: int
    lr: float

    def __str__(self):
        n, L = len(self.history) - 1, self.history[-1]
        if not self.steps:
            return (f"step {n}: L = sum_n l_n = {L:.4f} (no step made: press Step); "
                    f"accuracy {100 * self.accuracy:.1f} %; lr = {self.lr:g}")
        before = self.history[-1 - self.steps] if self.steps else L
        return (f"step {n}: L = sum_n l_n = {L:.4f} (before these {self.steps} steps: "
                f"{before:.4f}); accuracy {100 * self.accuracy:.1f} %; lr = {self.lr:g}")


def targets(net, y, loss):
    """y as the loss wants it: labels for cross-entropy, a column (N, 1) for one output unit."""
    return y if loss == "cross_entropy" or net.sizes[-1] > 1 else np.asarray(y, float)[:, None]


def playground_step(net, X, y, loss="quadratic", lr=0.1, steps=1, history=None):
    """Run ``steps`` full-batch gradient-descent steps on the sum loss.

    Parameters
    ----------
    net : MLP, updated in place
    X : array, shape (N, d_0)
    y : int array, shape (N,), the class labels
    loss : 'quadratic' (one output unit, y as a column) or 'cross_entropy'
    lr : float, the learning rate
    steps : int
    history : list of float, optional
        The losses so far; extended in place (started with L before the first step).

    Returns
    -------
    Progress
        ``str()`` of it is the line the playground shows.
    """
    require_whole(steps, "steps", least=0)
    history = [] if history is None else history
    t = targets(net, y, loss)
    done = 0
    try:
        for _ in range(steps):
            L = train.step(net, X, t, loss=loss, lr=lr)   # L before this step
            if done or not history:
                history.append(L)
            done += 1
    finally:  # a refused step (the loss blew up) keeps the history true to the network
        if done or not history:
            history.append(float(losses.get(loss)(net(X), t)))
    return Progress(history, train.accuracy(net, X, y), done, float(lr))


class Playground(Widget):
    """Learning rate, Step, Play and Reset on a small network, with live pictures.

    Parameters
    ----------
    dataset : 'moons' or 'xor'
    hidden : int, the neurons of the one hidden layer
    output : one of ``OUTPUTS``: a sigmoid unit with the quadratic loss, or
        softmax with cross-entropy
    lr : float, the starting learning rate
    seed : int, seeds the data and the initial weights
    plot : bool

    Attributes
    ----------
    net, X, y, history : the network, the data and the losses so far
    lr, steps_per_press, step_button, reset_button, play : the controls
    feedback : str, the last line of progress
    """

    css_class = "bplib-playground"

    def __init__(self, dataset="moons", hidden=4, output="1 sigmoid unit, quadratic loss",
                 lr=0.05, seed=0, plot=True):
        if dataset not in DATASETS:
            raise NotationError(f"dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
        if output not in OUTPUTS:
            raise NotationError(f"output must be one of {sorted(OUTPUTS)}, got {output!r}")
        self.seed = seed
        self.dataset = w.Dropdown(options=list(DATASETS), value=dataset, description="data")
        self.hidden = w.IntSlider(value=hidden, min=1, max=16, description="d_1",
                                  continuous_update=False)
        self.output = w.Dropdown(options=list(OUTPUTS), value=output, description="output",
                                 layout=w.Layout(width="22em"))
        self.lr = w.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.05,
                                   description="lr", readout_format=".3g")
        self.steps_per_press = w.IntSlider(value=10, min=1, max=200, description="steps/press")
        self.step_button = w.Button(description="Step", button_style="primary")
        self.reset_button = w.Button(description="Reset")
        self.play = w.Play(value=0, min=0, max=100_000, interval=200, description="Play")
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.play.observe(self._tick, names="value")
        for c in (self.dataset, self.hidden, self.output):
            c.observe(lambda _: self.reset(), names="value")
        self.image = None
        children = [w.HBox([self.dataset, self.hidden, self.output]),
                    w.HBox([self.lr, self.steps_per_press]),
                    w.HBox([self.step_button, self.play, self.reset_button])]
        if plot:
            self.fig, (self.ax_loss, self.ax_regions) = figure(8, 3.2, ncols=2)
            self.image = image(self.fig)
            self.image.on_resize(self._redraw)
            children.append(self.image)
        super().__init__(children, names=[
            (self.dataset, "data set", "the samples to classify: two moons or XOR"),
            (self.hidden, "hidden neurons d_1", "the size of the one hidden layer; "
             "changing it starts again with a fresh network"),
            (self.output, "output layer and loss", "changing it starts again"),
            (self.lr, "learning rate lr", "each step does W^(l) <- W^(l) - lr dL/dW^(l)"),
            (self.steps_per_press, "steps per press",
             "gradient-descent steps made by one press of Step or one tick of Play"),
            (self.step_button, "Step", "make steps-per-press gradient-descent steps"),
            (self.play, "gradient descent on its own, a press every 0.2 s",
             "play starts, pause and stop end it"),
            (self.reset_button, "Reset", "a fresh network; the loss history starts again")])
        self.reset()

    def _tick(self, change):
        # Play's stop button sets the value back to 0: that is not a step
        if change["new"] > change["old"]:
            self.step()

    @property
    def loss(self):
        return OUTPUTS[self.output.value]["loss"]

    @safe
    def reset(self):
        """A fresh network, seeded, on the chosen data; the history starts again."""
        if self.image is not None:  # new data, new limits, perhaps a linear loss scale
            self.ax_loss.clear()
            self.ax_regions.clear()
        spec = OUTPUTS[self.output.value]
        self.X, self.y = DATASETS[self.dataset.value](self.seed)
        self.net = MLP([2, self.hidden.value, spec["d_L"]], sigma="sigmoid",
                       output_sigma=spec["output_sigma"], seed=self.seed)
        self.history = []
        self.progress = playground_step(self.net, self.X, self.y, self.loss, self.lr.value, 0,
                                         self.history)
        self.show(str(self.progress))
        self._draw()

    @safe
    def step(self, n=None):
        """``n`` gradient-descent steps (default: the steps/press slider)."""
        n = self.steps_per_press.value if n is None else n
        self.progress = playground_step(self.net, self.X, self.y, self.loss, self.lr.value, n,
                                        self.history)
        self.show(str(self.progress))
        self._draw()

    @safe
    def _redraw(self):
        self._draw()

    def _draw(self):
        if self.image is None:
            return
        from ..plots import plot_decision_regions, plot_loss

        ax = self.ax_loss
        wipe(ax)
        plot_loss(self.history, ax)
        # plot_loss counts epochs from 1; here entry i is the loss after i steps
        ax.lines[-1].set_xdata(np.arange(len(self.history)))
        ax.lines[-1].set_marker("o" if len(self.history) == 1 else "")
        ax.set_autoscale_on(True)   # set_xlim of the empty state turned it off
        ax.relim()
        ax.autoscale_view()
        if len(self.history) == 1:
            # one point autoscales to a sliver around it: show the room the steps will take
            L = self.history[0]
            ax.set_xlim(-0.5, max(10, self.steps_per_press.value))
            ax.set_ylim(0, 1.2 * L if np.isfinite(L) and L > 0 else 1)
            ax.text(0.5, 0.5, "No step yet: press Step or Play\nto start gradient descent.",
                    transform=ax.transAxes, ha="center", va="center", fontsize=10)
        ax.set_xlabel("gradient-descent steps")
        wipe(self.ax_regions)
        plot_decision_regions(self.net, self.X, self.y, self.ax_regions, resolution=60)
        self.image.draw(png(self.fig), self.alt())

    def alt(self):
        """The pictures in words: the loss curve and the decision regions, in numbers."""
        h, n = self.history, len(self.history) - 1
        if n == 0:
            curve = f"loss curve: no step yet, L = {h[0]:.4g} before the first step"
        else:
            curve = (f"loss curve: {n} steps, L = sum_n l_n from {h[0]:.4g} to {h[-1]:.4g}"
                     f", lowest {min(h):.4g}")
        from ..plots import MARKER_NAMES

        marks = ", ".join(f"class {c} as {MARKER_NAMES[c]}" for c in np.unique(self.y))
        return (f"{curve}; decision regions of the network on the {self.dataset.value} data: "
                f"{len(self.y)} samples ({marks}), {100 * self.progress.accuracy:.1f} % "
                "classified right")
