"""How much does backpropagation cost, next to what it cannot avoid?

For each network it prints, measured side by side in one run:
- step:   what a training step computes, ``net.gradients(X, Y)`` (forward, loss gradient,
          backward; dl/dx^(0), which no parameter needs, is left out by default), the call
          ``bplib.train.step`` makes;
- floor:  the matrix products alone that this forward and backward pass need
          (S = X W^T for each layer; dW = dS^T X and dX = dS W going back to
          dX^(1)), the floor numpy's BLAS sets;
- step / floor (goal: <= 1.10 on the two large networks, <= 2 on the small one);
- numpy / floor: the same sigmoid step written by hand in plain numpy, in place where it
  can be, with no checks: what any numpy code pays on top of the floor (e^x above all);
- backward / forward (goal: <= 2.5; it is the point of the lecture that
  backprop costs a small constant times the forward pass);
- loop / step: a per-sample loop over the batch against the batched step;
- faults: page faults per step, a sign that the allocator handed back memory.

The process is left as a user's is: the first ``net.gradients`` asks glibc to keep
freed memory for the next step (``bplib.mlp.keep_freed_memory``, the library's own
choice for everyone who trains), and the floor, measured in the same process, runs
under the same allocator; ``--system-malloc`` opts out first, as a user can. The last
line says whether glibc kept freed memory. Times are the best of interleaved blocks of
calls, so a change in the load of the machine hits all alike.

Usage: python benchmarks/backprop.py [--blocks B] [--sigma NAME] [--system-malloc]
"""
import argparse
import resource
import time

import numpy as np

import bplib

CASES = [([64, 128, 10], 32), ([784, 256, 256, 10], 128), ([784, 1024, 1024, 10], 256)]
GOALS = {0: 2.0, 1: 1.10, 2: 1.10}


def best_times(fns, blocks, block_seconds=0.02):
    """The best time per call of each function, over interleaved blocks of calls."""
    calls = []
    for fn in fns:
        fn()  # warm up caches and BLAS threads
        t = time.perf_counter()
        fn()
        calls.append(max(1, int(block_seconds / max(time.perf_counter() - t, 1e-7))))
    best = [float("inf")] * len(fns)
    for _ in range(blocks):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            for _ in range(calls[i]):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t) / calls[i])
    return best


def page_faults(fn, calls=10):
    """Minor page faults per call of fn."""
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


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


def numpy_step(Ws, bs, X, Y):
    """A sigmoid network's step with quadratic loss in plain numpy: no checks, few arrays."""
    xs = [X]
    for W, b in zip(Ws, bs):
        x = xs[-1] @ W.T
        x += b
        np.negative(x, out=x)  # s^(l) is not needed again: sigma' is taken from x^(l)
        np.exp(x, out=x)
        x += 1
        xs.append(np.divide(1.0, x, out=x))
    dl_dx, dWs, dbs = xs[-1] - Y, [], []
    loss = 0.5 * np.vdot(dl_dx, dl_dx)
    for l in range(len(Ws), 0, -1):
        dl_ds = np.subtract(1.0, xs[l])
        dl_ds *= xs[l]
        dl_ds *= dl_dx
        dWs.append(dl_ds.T @ xs[l - 1])
        dbs.append(dl_ds.sum(axis=0))
        if l > 1:
            dl_dx = dl_ds @ Ws[l - 1]
    return loss, dWs, dbs


def per_sample(net, X, Y):
    for x, y in zip(X, Y):
        net.gradients(x, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=30, help="interleaved blocks per timing")
    parser.add_argument("--sigma", default="sigmoid", help="activation of the layers")
    parser.add_argument("--system-malloc", action="store_true",
                        help="opt out of bplib's keeping of freed memory, as a user can")
    args = parser.parse_args()
    if args.system_malloc:
        bplib.mlp.keep_freed_memory(0)
    print(f"sigma = {args.sigma}")
    print(f"{'sizes':<24}{'N':>5}{'step ms':>10}{'floor ms':>10}{'step/floor':>12}"
          f"{'goal':>7}{'numpy/floor':>13}{'bwd/fwd':>9}{'loop/step':>11}{'faults':>8}")
    for i, (sizes, N) in enumerate(CASES):
        rng = np.random.default_rng(0)
        net = bplib.MLP(sizes, sigma=args.sigma, seed=0)
        X, Y = rng.random((N, sizes[0])), rng.random((N, sizes[-1]))
        trace = net.forward(X)
        dl_dxL = bplib.quadratic.gradient(trace.output, Y)
        Ws, bs = net.W.values(), net.b.values()
        step, floor, fwd, bwd, plain = best_times([
            lambda: net.gradients(X, Y), lambda: matmul_floor(net, X, Y),
            lambda: net.forward(X), lambda: net.backward(trace, dl_dxL, input_gradient=False),
            (lambda: numpy_step(Ws, bs, X, Y)) if args.sigma == "sigmoid" else lambda: None],
            args.blocks)
        plain = f"{plain / floor:>13.2f}" if args.sigma == "sigmoid" else f"{'-':>13}"
        loop, = best_times([lambda: per_sample(net, X, Y)], max(3, args.blocks // 10))
        faults = page_faults(lambda: net.gradients(X, Y))
        print(f"{str(sizes):<24}{N:>5}{step * 1e3:>10.3f}{floor * 1e3:>10.3f}"
              f"{step / floor:>12.2f}{GOALS[i]:>7.2f}{plain}{bwd / fwd:>9.2f}{loop / step:>11.1f}"
              f"{faults:>8.0f}")
    kept = bplib.mlp._freed_memory_kept  # set by the first net.gradients, as for any user
    print("freed memory " + ("kept for the next step by bplib (bplib.mlp.keep_freed_memory)"
                             if kept else "returned to the system as the C library does"))


if __name__ == "__main__":
    main()
