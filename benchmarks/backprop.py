"""How much does backpropagation cost, next to what it cannot avoid?

For each network it prints, measured side by side in one run:
- step:   one ``net.gradients(X, Y)`` (forward, loss gradient, backward);
- floor:  the matrix products alone that a forward and a backward pass need
          (S = X W^T for each layer; dW = dS^T X and dX = dS W going back),
          the floor numpy's BLAS sets;
- step / floor (goal: <= 1.15 on the two large networks, <= 2 on the small one);
- backward / forward (goal: <= 2.5; it is the point of the lecture that
  backprop costs a small constant times the forward pass);
- loop / step: a per-sample loop over the batch against the batched step.

Usage: python benchmarks/backprop.py [--repeat R]
"""
import argparse
import statistics
import time

import numpy as np

import bplib

CASES = [([64, 128, 10], 32), ([784, 256, 256, 10], 128), ([784, 1024, 1024, 10], 256)]
GOALS = {0: 2.0, 1: 1.15, 2: 1.15}


def median_time(fn, repeat):
    fn()  # warm up caches and BLAS threads
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def matmul_floor(net, X, Y):
    """The products of one forward and backward pass, on arrays of the same shapes.

    Their results are kept until the end, as a real pass keeps the trace and
    returns the gradients.
    """
    Ws = [net.W[l] for l in range(1, net.L + 1)]
    xs = [X]
    for W in Ws:
        xs.append(xs[-1] @ W.T)
    dS, dWs = Y.copy(), []
    for l in range(net.L, 0, -1):
        dWs.append(dS.T @ xs[l - 1])
        if l > 1:
            dS = dS @ Ws[l - 1]
    return xs, dWs


def per_sample(net, X, Y):
    for x, y in zip(X, Y):
        net.gradients(x, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(f"{'sizes':<24}{'N':>5}{'step ms':>10}{'floor ms':>10}{'step/floor':>12}"
          f"{'goal':>7}{'bwd/fwd':>9}{'loop/step':>11}")
    for i, (sizes, N) in enumerate(CASES):
        rng = np.random.default_rng(0)
        net = bplib.MLP(sizes, seed=0)
        X, Y = rng.random((N, sizes[0])), rng.random((N, sizes[-1]))
        trace = net.forward(X)
        dl_dxL = bplib.quadratic.gradient(trace.output, Y)
        # Interleave the measurements so that a change in machine load hits all alike.
        t = {k: [] for k in ("step", "floor", "fwd", "bwd")}
        for _ in range(3):
            t["step"].append(median_time(lambda: net.gradients(X, Y), args.repeat))
            t["floor"].append(median_time(lambda: matmul_floor(net, X, Y), args.repeat))
            t["fwd"].append(median_time(lambda: net.forward(X), args.repeat))
            t["bwd"].append(median_time(lambda: net.backward(trace, dl_dxL), args.repeat))
        step, floor, fwd, bwd = (min(t[k]) for k in ("step", "floor", "fwd", "bwd"))
        loop = median_time(lambda: per_sample(net, X, Y), max(3, args.repeat // 10))
        print(f"{str(sizes):<24}{N:>5}{step * 1e3:>10.3f}{floor * 1e3:>10.3f}"
              f"{step / floor:>12.2f}{GOALS[i]:>7.2f}{bwd / fwd:>9.2f}{loop / step:>11.1f}")


if __name__ == "__main__":
    main()
