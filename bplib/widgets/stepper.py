r"""The chain rule, one stage at a time: (g o f)'(x) = g'(f(x)) f'(x).

For f = f_N o ... o f_1 write u_0 = x and u_i = f_i(u_{i-1}). Each stage has
a local derivative f_i'(u_{i-1}), the outer function differentiated with
its inside kept the same, and the running product

    du_i/dx = f_i'(u_{i-1}) du_{i-1}/dx,

whose last value is df/dx. ``chain_rule_table`` prints this as text;
``ChainStepper`` shows it with a slider for x and a Step button.
"""
import ipywidgets as w
import numpy as np

from .. import calculus
from .._check import NotationError
from ._base import Blit, Widget, figure, image, safe

LECTURE_EXAMPLE = calculus.exp @ calculus.sin @ calculus.square   # f(x) = e^{sin(x^2)}


def _stages(f):
    fs = f.stages if isinstance(f, calculus.Composition) else [f]
    for s in fs:
        if not isinstance(s, calculus.Function) or not s.elementwise:
            raise NotationError(
                f"the chain stepper takes a chain of element-wise functions such as "
                f"bplib.exp @ bplib.sin @ bplib.square; {s!r} is not element-wise")
    return fs


def chain_rule_table(f, x, upto=None):
    """The chain rule for f at a scalar x, as a table of text.

    Parameters
    ----------
    f : bplib Function
        An element-wise chain, e.g. ``bplib.exp @ bplib.sin @ bplib.square``.
    x : float
    upto : int, optional
        Show only the first ``upto`` stages (the stepper's position).

    Returns
    -------
    str
        One row per stage: u_{i-1}, u_i = f_i(u_{i-1}), the local derivative
        f_i'(u_{i-1}) and the running product du_i/dx; then df/dx.
    """
    fs = _stages(f)
    x = float(x)
    if not np.isfinite(x):
        raise NotationError(f"x must be a finite number, got {x}")
    with np.errstate(all="ignore"):
        trace = calculus.chain_rule(f, x)
    n = len(fs) if upto is None else max(0, min(int(upto), len(fs)))
    rows = [f"f = {f.name} at x = {x:.4f}; u_0 = x, u_i = f_i(u_(i-1))",
            "{:>2}  {:<8} {:>11} {:>11} {:>20} {:>16}".format(
                "i", "f_i", "u_(i-1)", "u_i", "local f_i'(u_(i-1))", "running du_i/dx")]
    for i, s in enumerate(trace.stages[:n], 1):
        rows.append(f"{i:>2}  {s.name:<8} {float(s.input):>11.6f} {float(s.value):>11.6f} "
                    f"{float(s.local):>20.6f} {float(s.running):>16.6f}")
    if n < len(fs):
        rows.append(f"   next: stage {n + 1}, {fs[n].name}, at u_{n} "
                    f"= {float(trace.stages[n].input):.6f}")
        return "\n".join(rows)
    d = float(trace.derivative)
    undefined = [i for i, s in enumerate(trace.stages, 1)
                 if not (np.isfinite(float(s.value)) and np.isfinite(float(s.local)))]
    if undefined:
        i = undefined[0]
        rows.append(f"f is not defined at x = {x:g}: stage {i}, {fs[i - 1].name}, "
                    f"is undefined at its input u_{i - 1} = {float(trace.stages[i - 1].input):g}")
    else:
        product = " ".join(f"f_{i}'" for i in range(len(fs), 0, -1))
        rows.append(f"df/dx = {product} = {d:.6f}")
    return "\n".join(rows)


class ChainStepper(Widget):
    """Pick x, then Step through u_1 = f_1(x), u_2 = f_2(u_1), ... up to df/dx.

    Parameters
    ----------
    f : bplib Function, default e^{sin(x^2)} = ``exp @ sin @ square``
    x : float, the starting point
    xlim : (float, float), the slider's range and the plot's
    plot : bool, draw f with its tangent at x

    Attributes
    ----------
    slider, step_button, reset_button : the controls
    feedback : str, the table as shown
    """

    css_class = "bplib-chain-stepper"

    def __init__(self, f=LECTURE_EXAMPLE, x=0.8, xlim=(-2.0, 2.0), plot=True):
        self.f, self.fs = f, _stages(f)
        self.position = 0
        self.slider = w.FloatSlider(value=x, min=xlim[0], max=xlim[1], step=0.01,
                                    description="x", continuous_update=True,
                                    readout_format=".2f")
        self.step_button = w.Button(description="Step", tooltip="show the next stage")
        self.all_button = w.Button(description="All stages")
        self.reset_button = w.Button(description="Reset")
        self.step_button.on_click(lambda _: self.step())
        self.all_button.on_click(lambda _: self.step(len(self.fs)))
        self.reset_button.on_click(lambda _: self.reset())
        self.slider.observe(lambda _: self.update(), names="value")
        children = [w.HBox([self.slider, self.step_button, self.all_button, self.reset_button])]
        self.image = None
        if plot:
            self._make_plot(xlim)
            children.append(self.image)
        super().__init__(children, names=[
            (self.slider, "input x", "the point x at which f and df/dx are evaluated"),
            (self.step_button, "Step", "show the next stage of the chain"),
            (self.all_button, "All stages", "show every stage, up to df/dx"),
            (self.reset_button, "Reset", "back to no stage shown")])
        self.update()

    def _make_plot(self, xlim):
        self.fig, ax = figure(5, 2.6)
        grid = np.linspace(*xlim, 400)
        with np.errstate(all="ignore"):
            ax.plot(grid, self.f(grid), color="C0", label=f"f = {self.f.name} (solid)")
        # dashed as well as red: the tangent differs from the curve in more than colour
        (self.tangent,) = ax.plot([], [], "--", color="C3", lw=2,
                                  label="tangent (dashed), slope df/dx")
        (self.point,) = ax.plot([], [], "o", color="C3")
        ax.set_xlim(*xlim)
        ax.set_xlabel("x")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=10, frameon=False,
                  borderaxespad=0.2)   # above the plot: it hides no part of the curve
        self.xlim = tuple(xlim)
        self.blit = Blit(self.fig, [self.tangent, self.point])
        self.image = image(self.fig)
        self.image.on_resize(self._resized)

    @safe
    def _resized(self):
        self.blit = Blit(self.fig, self.blit.artists)   # the background at the new dpi
        self.update()

    @safe
    def step(self, n=1):
        """Show ``n`` more stages."""
        self.position = min(self.position + n, len(self.fs))
        self.update()

    @safe
    def reset(self):
        """Back to no stage shown."""
        self.position = 0
        self.update()

    @safe
    def update(self):
        x = self.slider.value
        self.show(chain_rule_table(self.f, x, upto=self.position))
        if self.image is not None:
            with np.errstate(all="ignore"):
                y, d = float(self.f(x)), float(calculus.chain_rule(self.f, x).derivative)
            h = 0.5
            self.point.set_data([x], [y])
            self.tangent.set_data([x - h, x + h], [y - h * d, y + h * d])
            self.image.draw(self.blit.png(), self.alt(x, y, d))

    def alt(self, x, y, d):
        """The picture in words: the curve's range, the point and the tangent's slope."""
        curve = f"graph of f = {self.f.name} for x from {self.xlim[0]:g} to {self.xlim[1]:g}"
        if not (np.isfinite(y) and np.isfinite(d)):
            return f"{curve}; f is not defined at x = {x:.2f}, so no tangent is drawn"
        return (f"{curve} (solid line); dashed tangent at x = {x:.2f}, f(x) = {y:.3f}, "
                f"slope df/dx = {d:.3f}")
