"""How long does each widget take to answer a change, in-process?

For every widget it sets a value (or clicks a button) the way a student
would and prints the median time of the callback, which includes redrawing
the figure into PNG bytes. The goal is well below 100 ms per change; the
browser adds its round trip on top.

Usage: python benchmarks/widgets.py [--repeat R]
"""
import argparse
import itertools
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from bplib import widgets  # noqa: E402

GOAL_MS = 100


def median_ms(change, repeat):
    change()  # the first drawing fixes the layout; time the ones after it
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        change()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def cases():
    """(name, a function that makes one change) for each widget."""
    box = widgets.chain_rule_answer()
    typed = itertools.cycle(["2x cos(x) e^(sin(x^2))", "2x cos(x^2) e^(sin(x^2))", "x^^2"])
    yield "AnswerBox: type and Check", lambda: (setattr(box.text, "value", next(typed)),
                                                box.button.click())

    stepper = widgets.ChainStepper()
    xs = itertools.cycle([-1.5, -0.2, 0.7, 1.9])
    yield "ChainStepper: move the x slider", lambda: setattr(stepper.slider, "value", next(xs))

    explorer = widgets.NetworkExplorer()
    inputs = itertools.cycle([-1.0, 0.0, 1.5])
    yield "NetworkExplorer: move an input slider", lambda: setattr(explorer.inputs[0], "value", next(inputs))
    ks = itertools.cycle([0, 1, 2])
    explorer.l.value = 2
    yield "NetworkExplorer: choose k (drawn before)", lambda: setattr(explorer.k, "value", next(ks))

    def new_weights():
        explorer.net.W[2] = explorer.net.W[2] * 1.001   # a new drawing each time
        explorer.update()
    yield "NetworkExplorer: redraw the network", new_weights

    jac = widgets.JacobianExplorer()
    sizes = itertools.cycle(["784, 100, 10, 1", "1, 10, 100, 1000", "64, 32, 32, 10, 10, 1"])
    yield "JacobianExplorer: type sizes", lambda: setattr(jac.text, "value", next(sizes))

    playground = widgets.Playground()
    playground.steps_per_press.value = 10
    yield "Playground: Step (10 steps + redraw)", playground.step_button.click
    playground.steps_per_press.value = 1
    yield "Playground: Step (1 step + redraw)", playground.step_button.click


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"{'widget: change':<45} {'median ms':>10}  goal < {GOAL_MS} ms")
    for name, change in cases():
        ms = median_ms(change, args.repeat)
        print(f"{name:<45} {ms:>10.1f}  {'ok' if ms < GOAL_MS else 'SLOW'}")


if __name__ == "__main__":
    main()
