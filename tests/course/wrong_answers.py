"""Plausible wrong answers to every exercise, as a student would type them.

Each entry: the exercise (the function's name), the misconception it stands
for, the student's cell, the words the feedback must hold to count as naming
the mistake, and its kind: "mistake" (a wrong answer), "delegation" (hands
the work to bplib or a reference) or "method" (a right value by a method the
exercise forbids).
"""
from dataclasses import dataclass


@dataclass
class Wrong:
    exercise: str
    misconception: str
    source: str
    words: tuple
    kind: str = "mistake"


W = Wrong

GRAPH_FWD = ("def graph_gradients(x, w):\n"
             "    u = w * x\n"
             "    v = 1 / (1 + np.exp(-u))\n"
             "    p = v + x\n"
             "    dl_dp = 2 * p\n"
             "    dl_dv = dl_dp\n"
             "    dl_du = dl_dv * v * (1 - v)\n"
             "    dl_dw = dl_du * x\n")
GRAPH_RET = "    return {'p': dl_dp, 'v': dl_dv, 'u': dl_du, 'w': dl_dw, 'x': dl_dx}\n"
SIG = "def sig(v):\n    return 1 / (1 + np.exp(-v))\n"
OUT = (SIG + "def output_weight_gradient(net, trace, y):\n"
       "    x1, x2 = trace.x[1], trace.x[2]\n"
       "    dW2 = np.zeros(net.W[2].shape)\n"
       "    for j in range(net.sizes[2]):\n"
       "        for k in range(net.sizes[1]):\n"
       "            dW2[j, k] = {expr}\n"
       "    return dW2")
HID = (SIG + "def hidden_weight_gradient(net, trace, y):\n"
       "    x0, x1, x2, W2 = trace.x[0], trace.x[1], trace.x[2], net.W[2]\n"
       "    dW1 = np.zeros(net.W[1].shape)\n"
       "    for j in range(net.sizes[1]):\n"
       "        for k in range(net.sizes[0]):\n"
       "            total = 0.0\n"
       "            for i in range(net.sizes[2]):\n"
       "                {acc}{path}\n"
       "            dW1[j, k] = total * {tail}\n"
       "    return dW1")
LAY = ("def layer_backward(dl_ds, x_prev, W):\n"
       "    if dl_ds.ndim == 1:\n"
       "        return {one}\n"
       "    return {batch}")
BWD = ("def backward(net, trace, dl_dsL):\n"
       "    dW, db = {{}}, {{}}\n"
       "    dl_ds = {start}\n"
       "    for l in range({loop}):\n"
       "        dW[l], db[l], dl_dx = layer_backward(dl_ds, {x_in}, net.W[l])\n"
       "        if l > 1:\n"
       "            sigma = net.activation(l - 1).name\n"
       "            dl_ds = {step}\n"
       "    return SimpleNamespace(W=dW, b=db)")
LOC = (SIG + "def local_derivative(name, s, x):\n"
       "    if name == 'sigmoid':\n"
       "        return {sig}\n"
       "    if name == 'tanh':\n"
       "        return {tanh}\n"
       "    return {relu}")

ANSWERS = [
    # --- 01: the shape of W^(l) ------------------------------------------------------------------
    W("weight_shape", "rows and columns swapped",
      "def weight_shape(sizes, l):\n    return (sizes[l - 1], sizes[l])",
      ("(d_0, d_1)", "swapped", "row j")),
    W("weight_shape", "layers counted from 0 (off by one)",
      "def weight_shape(sizes, l):\n    return (sizes[l + 1], sizes[l])",
      ("layer 0 is the input",)),
    W("weight_shape", "a list for a shape",
      "def weight_shape(sizes, l):\n    return [sizes[l], sizes[l - 1]]",
      ("list", "tuple")),
    W("weight_shape", "asks bplib to build the network",
      "def weight_shape(sizes, l):\n    return bplib.MLP(sizes).W[l].shape",
      ("bplib.MLP",), "delegation"),
    W("weight_shape", "the shape of b^(l) and a count",
      "def weight_shape(sizes, l):\n    return (sizes[l], 1)",
      ("(3, 1)", "1 is the size of no layer", "w^l_jk connects neuron k of layer l-1")),
    W("weight_shape", "the smaller size first: right only for narrowing sizes",
      "def weight_shape(sizes, l):\n"
      "    return (min(sizes[l], sizes[l - 1]), max(sizes[l], sizes[l - 1]))",
      ("smaller size first", "wider")),
    W("weight_shape", "the first or the last layer: right only for L = 2",
      "def weight_shape(sizes, l):\n"
      "    if l == 1:\n"
      "        return (sizes[1], sizes[0])\n"
      "    return (sizes[-1], sizes[-2])",
      ("L = 2", "hidden layer")),

    # --- 02: a numerical Jacobian ----------------------------------------------------------------
    W("numerical_jacobian", "forward differences",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    fx = f(x)\n"
      "    return np.stack([(f(x + h * e) - fx) / h for e in np.eye(len(x))], axis=1)",
      ("forward differences", "central")),
    W("numerical_jacobian", "backward differences",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    fx = f(x)\n"
      "    return np.stack([(fx - f(x - h * e)) / h for e in np.eye(len(x))], axis=1)",
      ("backward differences", "one-sided", "order h", "central")),
    W("numerical_jacobian", "/ 2 * h: divides by 2, then multiplies by h",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    return np.stack([(f(x + h * e) - f(x - h * e)) / 2 * h for e in np.eye(len(x))],"
      " axis=1)",
      ("/ 2 * h", "/ (2 * h)")),
    W("numerical_jacobian", "three rows: right only for m = 3",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    J = np.zeros((3, len(x)))\n"
      "    for j in range(len(x)):\n"
      "        e = np.zeros(len(x))\n"
      "        e[j] = h\n"
      "        J[:, j] = (f(x + e) - f(x - e)) / (2 * h)\n"
      "    return J",
      ("works for f: R^2 -> R^3", "m = len(f(x))")),
    W("numerical_jacobian", "columns stacked as rows: J transposed",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])",
      ("(n, m)", "one row per component")),
    W("numerical_jacobian", "divides by h, not 2h",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    return np.stack([(f(x + h * e) - f(x - h * e)) / h for e in np.eye(len(x))], axis=1)",
      ("twice", "2h")),
    W("numerical_jacobian", "sign of the difference reversed",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    return np.stack([(f(x - h * e) - f(x + h * e)) / (2 * h) for e in np.eye(len(x))],"
      " axis=1)",
      ("wrong sign",)),
    W("numerical_jacobian", "ignores the step h it is given",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    step = 1e-6\n"
      "    return np.stack([(f(x + step * e) - f(x - step * e)) / (2 * step)"
      " for e in np.eye(len(x))], axis=1)",
      ("ignores the step h",)),
    W("numerical_jacobian", "nudges x in place and never puts it back",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    cols = []\n"
      "    for j in range(len(x)):\n"
      "        x[j] += h\n"
      "        up = f(x)\n"
      "        x[j] -= 2 * h\n"
      "        cols.append((up - f(x)) / (2 * h))\n"
      "    return np.stack(cols, axis=1)",
      ("in place",)),
    W("numerical_jacobian", "steps by the unit vector e_j, not h e_j",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    return np.stack([(f(x + e) - f(x - e)) / (2 * h) for e in np.eye(len(x))], axis=1)",
      ("h e_j",)),
    W("numerical_jacobian", "returns the list of columns",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    return [list((f(x + h * e) - f(x - h * e)) / (2 * h)) for e in np.eye(len(x))]",
      ("list",)),
    W("numerical_jacobian", "calls bplib.jacobian",
      "def numerical_jacobian(f, x, h=1e-5):\n    return bplib.jacobian(f, x)",
      ("bplib.jacobian", "not yours"), "delegation"),
    W("numerical_jacobian", "builds the Jacobian from bplib.gradient, row by row",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    m = len(f(x))\n"
      "    return np.array([bplib.gradient(lambda v: f(v)[i], x) for i in range(m)])",
      ("bplib.gradient",), "delegation"),
    W("numerical_jacobian", "an h far too large",
      "def numerical_jacobian(f, x, h=1e-5):\n"
      "    h = 0.1\n"
      "    return np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))],"
      " axis=1)",
      ("h",)),

    # --- 03: one neuron --------------------------------------------------------------------------
    W("neuron", "w_kj for w_jk",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(len(x_prev)):\n"
      "        s += W[k, j] * x_prev[k]\n"
      "    return sigma(s)",
      ("W[j, k]", "row j")),
    W("neuron", "returns s_j, forgets sigma",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(len(x_prev)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return s",
      ("s^l_j", "sigma(s^l_j)")),
    W("neuron", "the bias is missing",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = 0.0\n"
      "    for k in range(len(x_prev)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return sigma(s)",
      ("bias is missing",)),
    W("neuron", "sigma before the bias",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = 0.0\n"
      "    for k in range(len(x_prev)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return sigma(s) + b[j]",
      ("after sigma", "inside")),
    W("neuron", "the loop skips k = 0",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(1, len(x_prev)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return sigma(s)",
      ("k = 0", "range(len(x_prev))")),
    W("neuron", "k runs over range(len(b)): right only for a square W^l",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(len(b)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return sigma(s)",
      ("d_l = 3 neurons of layer l", "range(len(x_prev))")),
    W("neuron", "tanh hard-coded instead of the sigma given",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(len(x_prev)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return np.tanh(s)",
      ("the sigma you are given",)),
    W("neuron", "no loop: a dot product (right value, not the method)",
      "def neuron(W, b, x_prev, j, sigma):\n    return sigma(W[j] @ x_prev + b[j])",
      ("for loop",), "method"),
    W("neuron", "a loop that computes the terms, then a dot product gives the value",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(len(x_prev)):\n"
      "        term = W[j, k] * x_prev[k]\n"
      "    return sigma(W[j] @ x_prev + b[j])",
      ("does not come from your for loop",), "method"),
    W("neuron", "a loop that sums the terms, then np.dot gives the value",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    s = b[j]\n"
      "    for k in range(len(x_prev)):\n"
      "        s += W[j, k] * x_prev[k]\n"
      "    return sigma(np.dot(W[j], x_prev) + b[j])",
      ("does not come from your for loop",), "method"),
    W("neuron", "uses a bplib network's forward pass",
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    net = bplib.MLP([len(x_prev), len(b)], sigma=sigma)\n"
      "    net.W[1], net.b[1] = W, b\n"
      "    return net(x_prev)[j]",
      ("net(x)",), "delegation"),
    W("neuron", "calls the check's reference",
      "from bpcourse import nb03\n"
      "def neuron(W, b, x_prev, j, sigma):\n"
      "    return nb03.reference_neuron(W, b, x_prev, j, sigma)",
      ("reference of the checks",), "delegation"),

    # --- 03: one layer ---------------------------------------------------------------------------
    W("weighted_input", "W^T x for W x",
      "def weighted_input(W, b, x_prev):\n    return W.T @ x_prev + b",
      ("W^(l)^T", "order of j and k")),
    W("weighted_input", "x @ W: the product the wrong way round",
      "def weighted_input(W, b, x_prev):\n    return x_prev @ W + b",
      ("order of j and k",)),
    W("weighted_input", "the bias is missing",
      "def weighted_input(W, b, x_prev):\n    return W @ x_prev",
      ("bias is missing",)),
    W("weighted_input", "a loop over the neurons (right value, not the method)",
      "def weighted_input(W, b, x_prev):\n"
      "    return np.array([W[j] @ x_prev + b[j] for j in range(len(b))])",
      ("without a loop",), "method"),
    W("weighted_input", "adds into b in place",
      "def weighted_input(W, b, x_prev):\n"
      "    s = b\n"
      "    s += W @ x_prev\n"
      "    return s",
      ("in place", "`b`")),
    W("weighted_input", "returns a list",
      "def weighted_input(W, b, x_prev):\n    return list(W @ x_prev + b)",
      ("list",)),
    W("weighted_input", "an element-wise product for the matrix product",
      "def weighted_input(W, b, x_prev):\n    return (W * x_prev).sum(axis=0) + b",
      ("order of j and k",)),

    # --- 04: the forward pass --------------------------------------------------------------------
    W("forward", "transposed W",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        x = net.activation(l)(net.W[l].T @ x + net.b[l])\n"
      "    return x",
      ("transpose of W^(l)", "(d_l, d_{l-1})")),
    W("forward", "x @ W for one sample",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        x = net.activation(l)(x @ net.W[l] + net.b[l])\n"
      "    return x",
      ("transpose of W^(l)",)),
    W("forward", "the loop stops one layer early",
      "def forward(net, x):\n"
      "    for l in range(1, net.L):\n"
      "        x = net.activation(l)(net.W[l] @ x + net.b[l])\n"
      "    return x",
      ("x^(L-1)", "stops after layer 2", "every layer l = 1..L")),
    W("forward", "the loop starts at layer 0",
      "def forward(net, x):\n"
      "    for l in range(net.L):\n"
      "        x = net.activation(l)(net.W[l] @ x + net.b[l])\n"
      "    return x",
      ("layer 0 is the input",)),
    W("forward", "the biases are missing",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        x = net.activation(l)(net.W[l] @ x)\n"
      "    return x",
      ("biases are missing",)),
    W("forward", "sigma after the bias",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        x = net.activation(l)(net.W[l] @ x) + net.b[l]\n"
      "    return x",
      ("after sigma",)),
    W("forward", "the hidden sigma on the output layer too",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        x = net.sigma(net.W[l] @ x + net.b[l])\n"
      "    return x",
      ("its own activation",)),
    W("forward", "returns s^(L)",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        s = net.W[l] @ x + net.b[l]\n"
      "        x = net.activation(l)(s)\n"
      "    return s",
      ("s^(L)",)),
    W("forward", "a sigmoid hard-coded on every layer",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        x = 1 / (1 + np.exp(-(net.W[l] @ x + net.b[l])))\n"
      "    return x",
      ("net.activation(l)", "fixed sigma", "tanh on layers 1..2 and sigmoid on layer 3")),
    W("forward", "tanh and a sigmoid hard-coded: right only for the tanh-sigmoid network",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        s = net.W[l] @ x + net.b[l]\n"
      "        x = 1 / (1 + np.exp(-s)) if l == net.L else np.tanh(s)\n"
      "    return x",
      ("net.activation(l)", "fixed sigma")),
    W("forward", "two layers written out: right only for L = 2",
      "def forward(net, x):\n"
      "    x1 = net.activation(1)(net.W[1] @ x + net.b[1])\n"
      "    return net.activation(2)(net.W[2] @ x1 + net.b[2])",
      ("x^(2)", "L = 3", "every layer l = 1..L")),
    W("forward", "calls net(x)",
      "def forward(net, x):\n    return net(x)",
      ("net(x)", "not yours"), "delegation"),
    W("forward", "calls net.forward and reads the output",
      "def forward(net, x):\n    return net.forward(x).x[net.L]",
      ("net.forward",), "delegation"),
    W("forward", "changes the network's biases in place",
      "def forward(net, x):\n"
      "    for l in range(1, net.L + 1):\n"
      "        s = net.W[l] @ x\n"
      "        b = net.b[l]\n"
      "        b += s\n"
      "        x = net.activation(l)(b)\n"
      "    return x",
      ("in place",)),
    W("forward", "keeps every layer in a list and returns it",
      "def forward(net, x):\n"
      "    xs = [x]\n"
      "    for l in range(1, net.L + 1):\n"
      "        xs.append(net.activation(l)(net.W[l] @ xs[-1] + net.b[l]))\n"
      "    return xs",
      ("list",)),

    # --- 04: the batch ---------------------------------------------------------------------------
    W("forward_batch", "the one-sample formula W @ X on a batch",
      "def forward_batch(net, X):\n"
      "    for l in range(1, net.L + 1):\n"
      "        X = net.activation(l)(net.W[l] @ X + net.b[l])\n"
      "    return X",
      ("samples as rows", "X W^T")),
    W("forward_batch", "X @ W without the transpose",
      "def forward_batch(net, X):\n"
      "    for l in range(1, net.L + 1):\n"
      "        X = net.activation(l)(X @ net.W[l] + net.b[l])\n"
      "    return X",
      ("transpose of W^(l)",)),
    W("forward_batch", "samples as columns, result (d_L, N)",
      "def forward_batch(net, X):\n"
      "    A = X.T\n"
      "    for l in range(1, net.L + 1):\n"
      "        A = net.activation(l)(net.W[l] @ A + net.b[l][:, None])\n"
      "    return A",
      ("(d_L, N)", "samples are rows")),
    W("forward_batch", "a loop over the samples (right value, not the method)",
      "def forward_batch(net, X):\n"
      "    rows = []\n"
      "    for x in X:\n"
      "        for l in range(1, net.L + 1):\n"
      "            x = net.activation(l)(net.W[l] @ x + net.b[l])\n"
      "        rows.append(x)\n"
      "    return np.array(rows)",
      ("loop over the samples",), "method"),
    W("forward_batch", "indexes the samples one by one (right value, not the method)",
      "def forward_batch(net, X):\n"
      "    out = np.zeros((len(X), net.sizes[-1]))\n"
      "    for n in range(len(X)):\n"
      "        x = X[n]\n"
      "        for l in range(1, net.L + 1):\n"
      "            x = net.activation(l)(net.W[l] @ x + net.b[l])\n"
      "        out[n] = x\n"
      "    return out",
      ("loop over the samples",), "method"),
    W("forward_batch", "converts X first, then loops over its rows (right value, not the method)",
      "def forward_batch(net, X):\n"
      "    X = np.asarray(X)\n"
      "    out = []\n"
      "    for n in range(X.shape[0]):\n"
      "        x = X[n, :]\n"
      "        for l in range(1, net.L + 1):\n"
      "            x = net.activation(l)(net.W[l] @ x + net.b[l])\n"
      "        out.append(x)\n"
      "    return np.stack(out)",
      ("loop over the samples",), "method"),
    W("forward_batch", "two layers written out: right only for L = 2",
      "def forward_batch(net, X):\n"
      "    X1 = net.activation(1)(X @ net.W[1].T + net.b[1])\n"
      "    return net.activation(2)(X1 @ net.W[2].T + net.b[2])",
      ("x^(2)", "L = 3", "every layer l = 1..L")),
    W("forward_batch", "a sigmoid hard-coded on every layer",
      "def forward_batch(net, X):\n"
      "    for l in range(1, net.L + 1):\n"
      "        X = 1 / (1 + np.exp(-(X @ net.W[l].T + net.b[l])))\n"
      "    return X",
      ("net.activation(l)",)),
    W("forward_batch", "calls net(X)",
      "def forward_batch(net, X):\n    return net(X)",
      ("net(x)",), "delegation"),
    W("forward_batch", "the biases are missing",
      "def forward_batch(net, X):\n"
      "    for l in range(1, net.L + 1):\n"
      "        X = net.activation(l)(X @ net.W[l].T)\n"
      "    return X",
      ("biases are missing",)),
    W("forward_batch", "the check's reference",
      "from bpcourse import nb04\n"
      "def forward_batch(net, X):\n    return nb04.reference_forward_batch(net, X)",
      ("reference of the checks",), "delegation"),

    # --- 05: finite differences ------------------------------------------------------------------
    W("finite_difference_gradients", "calls backprop instead",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    g = net.gradients(x, y, loss)\n"
      "    return ({l: g.W[l] for l in range(1, net.L + 1)},\n"
      "            {l: g.b[l] for l in range(1, net.L + 1)})",
      ("net.gradients", "finite differences, not backprop"), "delegation"),
    W("finite_difference_gradients", "bplib.gradient on each parameter array",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            old = P[l].copy()\n"
      "            def l_of(v):\n"
      "                P[l] = v.reshape(old.shape)\n"
      "                return loss(net(x), y)\n"
      "            G[l] = bplib.gradient(l_of, old.ravel()).reshape(old.shape)\n"
      "            P[l] = old\n"
      "    return dW, db",
      ("bplib.gradient",), "delegation"),
    W("finite_difference_gradients", "divides by h instead of 2h",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / h\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("twice", "2h")),
    W("finite_difference_gradients", "sign reversed",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (down - up) / (2 * h)\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("wrong sign",)),
    W("finite_difference_gradients", "forgets to put the nudged value back",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("Put every nudged parameter back",)),
    W("finite_difference_gradients", "one-sided differences",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    base = loss(net(x), y)\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - base) / h\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("one-sided", "two forward passes per parameter")),
    W("finite_difference_gradients", "ignores h",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    eps = 1e-6\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + eps; up = loss(net(x), y)\n"
      "                t[i] = old - eps; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * eps)\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("ignores the step h",)),
    W("finite_difference_gradients", "nudges a copy, so net(x) never sees the nudge",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l].copy(); g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("is zero", "in place")),
    W("finite_difference_gradients", "dW as a list",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = [], []\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G.append(g)\n"
      "    return dW, db",
      ("list", "dict keyed by the layer number")),
    W("finite_difference_gradients", "returns a list [dW, db]",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G[l] = g\n"
      "    return [dW, db]",
      ("list", "tuple")),
    W("finite_difference_gradients", "dW transposed",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G[l] = g.T\n"
      "    return dW, db",
      ("transposed", "row j")),
    W("finite_difference_gradients", "layers keyed from 0",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G[l - 1] = g\n"
      "    return dW, db",
      ("l = 1..L",)),

    W("finite_difference_gradients", "a batch mean where the lecture sums over samples",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    N = len(x) if np.ndim(x) == 2 else 1\n"
      "    dW, db = {}, {}\n"
      "    for l in range(1, net.L + 1):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h) / N\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("a mean", "sum_n l_n", "N = 5")),
    W("finite_difference_gradients", "layers 1 and 2 written out: right only for L = 2",
      "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
      "    dW, db = {}, {}\n"
      "    for l in (1, 2):\n"
      "        for P, G in ((net.W, dW), (net.b, db)):\n"
      "            t = P[l]; g = np.zeros_like(t)\n"
      "            for i in np.ndindex(t.shape):\n"
      "                old = t[i]\n"
      "                t[i] = old + h; up = loss(net(x), y)\n"
      "                t[i] = old - h; down = loss(net(x), y)\n"
      "                t[i] = old\n"
      "                g[i] = (up - down) / (2 * h)\n"
      "            G[l] = g\n"
      "    return dW, db",
      ("dl/dW^(3) is missing", "l = 1..L = 1..3")),

    # --- 06: f'(x) in code -----------------------------------------------------------------------
    W("df", "the factor 2x is missing",
      "def df(x):\n    return np.exp(np.sin(x ** 2)) * np.cos(x ** 2)",
      ("2x is missing",)),
    W("df", "the factor cos(x^2) is missing",
      "def df(x):\n    return np.exp(np.sin(x ** 2)) * 2 * x",
      ("cos(x^2) is missing",)),
    W("df", "cos(x) for cos(x^2): the derivative taken at x",
      "def df(x):\n    return np.exp(np.sin(x ** 2)) * np.cos(x) * 2 * x",
      ("cos(x) should be cos(x^2)",)),
    W("df", "the outer factor is missing",
      "def df(x):\n    return np.cos(x ** 2) * 2 * x",
      ("e^(sin(x^2)) is missing",)),
    W("df", "the outer function differentiated inside",
      "def df(x):\n    return np.exp(np.cos(x ** 2)) * 2 * x",
      ("e^(sin(x^2))",)),
    W("df", "f itself",
      "def df(x):\n    return np.exp(np.sin(x ** 2))",
      ("That is f itself",)),
    W("df", "a sum of the factors",
      "def df(x):\n    return np.exp(np.sin(x ** 2)) + np.cos(x ** 2) + 2 * x",
      ("sum of the factors", "multiplies")),
    W("df", "sign error: -cos",
      "def df(x):\n    return -np.exp(np.sin(x ** 2)) * np.cos(x ** 2) * 2 * x",
      ("sign",)),
    W("df", "-sin for the derivative of sin",
      "def df(x):\n    return -np.exp(np.sin(x ** 2)) * np.sin(x ** 2) * 2 * x",
      ("derivative of cos",)),
    W("df", "cos(2x): the inner derivative inside",
      "def df(x):\n    return np.exp(np.sin(x ** 2)) * np.cos(2 * x) * 2 * x",
      ("cos(2x) should be cos(x^2)",)),
    W("df", "bplib.derivative: finite differences",
      "def df(x):\n    return bplib.derivative(lambda v: np.exp(np.sin(v ** 2)), x)",
      ("bplib.derivative",), "delegation"),
    W("df", "the composed Function's own derivative",
      "def df(x):\n    return (bplib.exp @ bplib.sin @ bplib.square).derivative(x)",
      ("f.derivative",), "delegation"),
    W("df", "its own central difference (right value, not the method)",
      "def df(x):\n"
      "    f = lambda v: np.exp(np.sin(v ** 2))\n"
      "    h = 1e-6\n"
      "    return (f(x + h) - f(x - h)) / (2 * h)",
      ("finite difference", "formula"), "method"),
    W("df", "bplib.chain_rule",
      "def df(x):\n    return bplib.chain_rule(bplib.exp @ bplib.sin @ bplib.square, x).derivative",
      ("bplib.chain_rule",), "delegation"),
    W("df", "the check's reference",
      "from bpcourse import nb06\n"
      "def df(x):\n    return nb06.df(x)",
      ("reference of the checks",), "delegation"),
    W("df", "a scalar loop returning a list",
      "import math\n"
      "def df(x):\n"
      "    return [math.exp(math.sin(v * v)) * math.cos(v * v) * 2 * v for v in x]",
      ("list",)),
    W("df", "squares x in place",
      "def df(x):\n"
      "    u = x\n"
      "    u **= 2\n"
      "    return np.exp(np.sin(u)) * np.cos(u) * 2 * np.sqrt(u)",
      ("in place",)),

    # --- 06: the chain as a loop -----------------------------------------------------------------
    W("chain_derivative", "every local derivative taken at x",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 1.0\n"
      "    for f in stages:\n"
      "        running = f.derivative(x) * running\n"
      "        a = f(a)\n"
      "    return a, running",
      ("taken at x",)),
    W("chain_derivative", "a updated before its derivative is taken",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 1.0\n"
      "    for f in stages:\n"
      "        a = f(a)\n"
      "        running = f.derivative(a) * running\n"
      "    return a, running",
      ("value that enters f_i", "before you update")),
    W("chain_derivative", "the running product started at 0",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 0.0\n"
      "    for f in stages:\n"
      "        running = f.derivative(a) * running\n"
      "        a = f(a)\n"
      "    return a, running",
      ("started at 0", "start it at 1")),
    W("chain_derivative", "a sum of the local derivatives",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 0.0\n"
      "    for f in stages:\n"
      "        running = running + f.derivative(a)\n"
      "        a = f(a)\n"
      "    return a, running",
      ("sum of the local derivatives", "multiplies")),
    W("chain_derivative", "only the last factor kept",
      "def chain_derivative(stages, x):\n"
      "    a = x\n"
      "    for f in stages:\n"
      "        running = f.derivative(a)\n"
      "        a = f(a)\n"
      "    return a, running",
      ("only the last local derivative",)),
    W("chain_derivative", "stages applied in reverse",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 1.0\n"
      "    for f in reversed(stages):\n"
      "        running = f.derivative(a) * running\n"
      "        a = f(a)\n"
      "    return a, running",
      ("f_1 first",)),
    W("chain_derivative", "returns a list",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 1.0\n"
      "    for f in stages:\n"
      "        running = f.derivative(a) * running\n"
      "        a = f(a)\n"
      "    return [a, running]",
      ("list", "tuple")),
    W("chain_derivative", "value and derivative swapped",
      "def chain_derivative(stages, x):\n"
      "    a, running = x, 1.0\n"
      "    for f in stages:\n"
      "        running = f.derivative(a) * running\n"
      "        a = f(a)\n"
      "    return running, a",
      ("swapped",)),
    W("chain_derivative", "bplib.chain_rule on the composition",
      "def chain_derivative(stages, x):\n"
      "    t = bplib.chain_rule(bplib.compose(*reversed(stages)), x)\n"
      "    return t.value, t.derivative",
      ("bplib.chain_rule",), "delegation"),
    W("chain_derivative", "the composition's own derivative",
      "def chain_derivative(stages, x):\n"
      "    f = bplib.compose(*reversed(stages))\n"
      "    return f(x), f.derivative(x)",
      ("bplib.chain_rule",), "delegation"),
    W("chain_derivative", "bplib.derivative of the composition",
      "def chain_derivative(stages, x):\n"
      "    f = bplib.compose(*reversed(stages))\n"
      "    return f(x), bplib.derivative(f, x)",
      ("bplib.derivative",), "delegation"),

    # --- 07: J of sin(A x + b) -------------------------------------------------------------------
    W("jacobian_sin_linear", "the factors in the wrong order",
      "def jacobian_sin_linear(A, b, x):\n"
      "    s = A @ x + b\n"
      "    return A @ np.diag(np.cos(s))",
      ("wrong order", "last function on the left")),
    W("jacobian_sin_linear", "A^T for A",
      "def jacobian_sin_linear(A, b, x):\n"
      "    s = A @ x + b\n"
      "    return np.diag(np.cos(s)) @ A.T",
      ("A^T for A",)),
    W("jacobian_sin_linear", "cos(s) * A scales columns",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return np.cos(A @ x + b) * A",
      ("wrong order",)),
    W("jacobian_sin_linear", "sin for cos",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return np.diag(np.sin(A @ x + b)) @ A",
      ("sin(s) itself", "not the derivative of sin")),
    W("jacobian_sin_linear", "J_sin taken at A x, b forgotten",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return np.diag(np.cos(A @ x)) @ A",
      ("b is missing",)),
    W("jacobian_sin_linear", "J_sin taken at x",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return np.diag(np.cos(x)) @ A",
      ("not at x",)),
    W("jacobian_sin_linear", "only J_linear",
      "def jacobian_sin_linear(A, b, x):\n    return A",
      ("J_sin(s) is missing",)),
    W("jacobian_sin_linear", "sign error",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return -np.diag(np.cos(A @ x + b)) @ A",
      ("sign",)),
    W("jacobian_sin_linear", "a 3 x 3 diagonal: right only for m = 3",
      "def jacobian_sin_linear(A, b, x):\n"
      "    s = A @ x + b\n"
      "    return (np.eye(3) * np.cos(s)) @ A",
      ("works for A of shape (3, 4)", "fixed number")),
    W("jacobian_sin_linear", "bplib.jacobian",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return bplib.jacobian(lambda v: np.sin(A @ v + b), x)",
      ("bplib.jacobian",), "delegation"),
    W("jacobian_sin_linear", "bplib.jacobian_chain",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return bplib.jacobian_chain(bplib.sin @ bplib.linear(A, b), x).product",
      ("bplib.jacobian_chain",), "delegation"),
    W("jacobian_sin_linear", "sin's own Jacobian",
      "def jacobian_sin_linear(A, b, x):\n"
      "    return bplib.sin.jacobian(A @ x + b) @ A",
      ("f.jacobian",), "delegation"),
    W("jacobian_sin_linear", "adds b into the caller's x",
      "def jacobian_sin_linear(A, b, x):\n"
      "    s = A @ x\n"
      "    s += b\n"
      "    b *= 0\n"
      "    return np.diag(np.cos(s)) @ A",
      ("in place",)),

    # --- 07: the softmax's Jacobian --------------------------------------------------------------
    W("softmax_jacobian", "only the diagonal, as if the softmax were element-wise",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    return np.diag(p * (1 - p))",
      ("only the softmax's diagonal", "depends on every s_k")),
    W("softmax_jacobian", "+p_i p_k off the diagonal",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    J = np.outer(p, p)\n"
      "    np.fill_diagonal(J, p * (1 - p))\n"
      "    return J",
      ("wrong sign",)),
    W("softmax_jacobian", "diag(p) without the denominator's term",
      "def softmax_jacobian(s):\n"
      "    return np.diag(bplib.softmax(s))",
      ("numerator's term", "denominator")),
    W("softmax_jacobian", "-p p^T without diag(p)",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    return -np.outer(p, p)",
      ("denominator's term", "numerator")),
    W("softmax_jacobian", "the sigmoid's derivative",
      "def softmax_jacobian(s):\n"
      "    sig = 1 / (1 + np.exp(-s))\n"
      "    return np.diag(sig * (1 - sig))",
      ("sigmoid's derivative",)),
    W("softmax_jacobian", "sigma(s) for p",
      "def softmax_jacobian(s):\n"
      "    p = bplib.sigmoid(s)\n"
      "    return np.diag(p) - np.outer(p, p)",
      ("sigmoid", "p = softmax(s) belongs")),
    W("softmax_jacobian", "s for p",
      "def softmax_jacobian(s):\n"
      "    return np.diag(s) - np.outer(s, s)",
      ("s used where p = softmax(s) belongs",)),
    W("softmax_jacobian", "a softmax that overflows",
      "def softmax_jacobian(s):\n"
      "    p = np.exp(s) / np.sum(np.exp(s))\n"
      "    return np.diag(p) - np.outer(p, p)",
      ("overflows", "subtract the max")),
    W("softmax_jacobian", "the diagonal as a vector",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    return p * (1 - p)",
      ("vector of shape", "diagonal alone")),
    W("softmax_jacobian", "a 3 x 3 identity: right only for m = 3",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    return np.eye(3) * p - np.outer(p, p)",
      ("works for s of shape (3,)", "fixed number")),
    W("softmax_jacobian", "p_k (1 - p_i) for p_i (delta_ik - p_k)",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    return np.outer(1 - p, p)",
      ("is not dp_",)),
    W("softmax_jacobian", "bplib.jacobian",
      "def softmax_jacobian(s):\n"
      "    return bplib.jacobian(bplib.softmax, s)",
      ("bplib.jacobian",), "delegation"),
    W("softmax_jacobian", "softmax's own Jacobian",
      "def softmax_jacobian(s):\n"
      "    return bplib.softmax.jacobian(s)",
      ("f.jacobian",), "delegation"),
    W("softmax_jacobian", "softmax's jac",
      "def softmax_jacobian(s):\n"
      "    return bplib.softmax.jac(s)",
      ("bplib.softmax.jac",), "delegation"),
    W("softmax_jacobian", "softmax's backward, one row per e_k",
      "def softmax_jacobian(s):\n"
      "    p = bplib.softmax(s)\n"
      "    return np.stack([bplib.softmax.backward(s, p, e) for e in np.eye(len(s))])",
      ("bplib.softmax.backward",), "delegation"),
    W("softmax_jacobian", "central differences written out",
      "def softmax_jacobian(s):\n"
      "    m, h = len(s), 1e-5\n"
      "    J = np.zeros((m, m))\n"
      "    for k in range(m):\n"
      "        e = np.zeros(m)\n"
      "        e[k] = h\n"
      "        J[:, k] = (bplib.softmax(s + e) - bplib.softmax(s - e)) / (2 * h)\n"
      "    return J",
      ("difference quotient", "quotient rule"), "method"),
    W("softmax_jacobian", "shifts the caller's s in place",
      "def softmax_jacobian(s):\n"
      "    s -= np.max(s)\n"
      "    p = np.exp(s) / np.exp(s).sum()\n"
      "    return np.diag(p) - np.outer(p, p)",
      ("in place",)),

    # --- 07: from the loss side ------------------------------------------------------------------
    W("gradient_from_left", "the Jacobians in the order the functions act",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    g = dl_dxN\n"
      "    for J in jacobians:\n"
      "        g = g @ J\n"
      "    return g",
      ("reversed(jacobians)",)),
    W("gradient_from_left", "J @ g: a column from the right",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    g = dl_dxN\n"
      "    for J in reversed(jacobians):\n"
      "        g = J @ g\n"
      "    return g",
      ("g @ J",)),
    W("gradient_from_left", "the whole Jacobian first, then the row (right value, not the method)",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    P = jacobians[0]\n"
      "    for J in jacobians[1:]:\n"
      "        P = J @ P\n"
      "    return dl_dxN @ P",
      ("matrix-matrix", "one vector-Jacobian product at a time"), "method"),
    W("gradient_from_left", "multi_dot does the grouping (right value, not the method)",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    return np.linalg.multi_dot([dl_dxN] + jacobians[::-1])",
      ("one vector-Jacobian product at a time",), "method"),
    W("gradient_from_left", "returns the whole product",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    P = jacobians[0]\n"
      "    for J in jacobians[1:]:\n"
      "        P = J @ P\n"
      "    return P",
      ("whole Jacobian", "one number dl/dx_k per input")),
    W("gradient_from_left", "reverses the caller's list in place",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    jacobians.reverse()\n"
      "    g = dl_dxN\n"
      "    for J in jacobians:\n"
      "        g = g @ J\n"
      "    return g",
      ("in place", "`jacobians`")),
    W("gradient_from_left", "three products written out: right only for N = 3",
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    return dl_dxN @ jacobians[2] @ jacobians[1] @ jacobians[0]",
      ("right for N = 3", "whatever its length")),
    W("gradient_from_left", "the check's reference",
      "from bpcourse import nb07\n"
      "def gradient_from_left(jacobians, dl_dxN):\n"
      "    return nb07.gradient_from_left(jacobians, dl_dxN)",
      ("reference of the checks",), "delegation"),

    # --- 08: one layer, backward -----------------------------------------------------------------
    W("layer_backward", "W where W^T belongs",
      LAY.format(one="np.outer(dl_ds, x_prev), dl_ds, W @ dl_ds",
                 batch="dl_ds.T @ x_prev, dl_ds.sum(axis=0), dl_ds @ W.T"),
      ("W^(l) where its transpose belongs",)),
    W("layer_backward", "W^T @ dl_ds on a batch: the columns taken for samples",
      LAY.format(one="np.outer(dl_ds, x_prev), dl_ds, W.T @ dl_ds",
                 batch="dl_ds.T @ x_prev, dl_ds.sum(axis=0), W.T @ dl_ds"),
      ("as if its columns were the samples",)),
    W("layer_backward", "the outer product the wrong way round",
      LAY.format(one="np.outer(x_prev, dl_ds), dl_ds, dl_ds @ W",
                 batch="x_prev.T @ dl_ds, dl_ds.sum(axis=0), dl_ds @ W"),
      ("wrong way round",)),
    W("layer_backward", "the mean over the batch",
      LAY.format(one="np.outer(dl_ds, x_prev), dl_ds, dl_ds @ W",
                 batch="dl_ds.T @ x_prev / len(dl_ds), dl_ds.mean(axis=0), dl_ds @ W"),
      ("divided by N = 5", "sum over the samples")),
    W("layer_backward", "db = 0",
      LAY.format(one="np.outer(dl_ds, x_prev), np.zeros(len(dl_ds)), dl_ds @ W",
                 batch="dl_ds.T @ x_prev, np.zeros(W.shape[0]), dl_ds @ W"),
      ("dl/db^(l) is 0", "ds^l_j/db^l_j")),
    W("layer_backward", "db not summed over the batch",
      LAY.format(one="np.outer(dl_ds, x_prev), dl_ds, dl_ds @ W",
                 batch="dl_ds.T @ x_prev, dl_ds, dl_ds @ W"),
      ("one row per sample", "summed over the samples")),
    W("layer_backward", "db summed over the neurons",
      LAY.format(one="np.outer(dl_ds, x_prev), dl_ds, dl_ds @ W",
                 batch="dl_ds.T @ x_prev, dl_ds.sum(axis=1), dl_ds @ W"),
      ("summed over the neurons",)),
    W("layer_backward", "one-sample code (np.outer) on a batch",
      "def layer_backward(dl_ds, x_prev, W):\n"
      "    return np.outer(dl_ds, x_prev), dl_ds, dl_ds @ W",
      ("np.outer flattens a batch",)),
    W("layer_backward", "the wrong sign",
      LAY.format(one="-np.outer(dl_ds, x_prev), -dl_ds, -(dl_ds @ W)",
                 batch="-(dl_ds.T @ x_prev), -dl_ds.sum(axis=0), -(dl_ds @ W)"),
      ("wrong sign",)),
    W("layer_backward", ".T on 1-D arrays, as if they were columns",
      LAY.format(one="dl_ds.T @ x_prev, dl_ds, dl_ds @ W",
                 batch="dl_ds.T @ x_prev, dl_ds.sum(axis=0), dl_ds @ W"),
      ("matrix product",)),
    W("layer_backward", "a list for the tuple",
      LAY.format(one="[np.outer(dl_ds, x_prev), dl_ds, dl_ds @ W]",
                 batch="[dl_ds.T @ x_prev, dl_ds.sum(axis=0), dl_ds @ W]"),
      ("list", "tuple")),
    W("layer_backward", "dl/dx^(l-1) left out",
      LAY.format(one="np.outer(dl_ds, x_prev), dl_ds",
                 batch="dl_ds.T @ x_prev, dl_ds.sum(axis=0)"),
      ("a tuple of 2",)),
    W("layer_backward", "dl/dx^(l-1) by finite differences",
      "def layer_backward(dl_ds, x_prev, W):\n"
      "    rows, prev = np.atleast_2d(dl_ds), np.atleast_2d(x_prev)\n"
      "    J = bplib.jacobian(lambda x: W @ x, prev[0])\n"
      "    dx = (rows @ J).reshape(np.shape(x_prev))\n"
      "    return rows.T @ prev, rows.sum(axis=0), dx",
      ("finite differences",), "delegation"),
    W("layer_backward", "the check's reference",
      "from bpcourse import nb08\n"
      "def layer_backward(dl_ds, x_prev, W):\n    return nb08.layer_backward(dl_ds, x_prev, W)",
      ("reference of the checks",), "delegation"),

    # --- 08: the backward pass, from the pieces --------------------------------------------------
    W("backward", "calls net.backward",
      "def backward(net, trace, dl_dsL):\n    return net.backward(trace, dl_dsL)",
      ("net.backward", "not yours"), "delegation"),
    W("backward", "recomputes everything with net.gradients",
      "def backward(net, trace, dl_dsL):\n"
      "    g = net.gradients(trace.x[0], trace.output - dl_dsL)\n"
      "    return SimpleNamespace(W=g.W, b=g.b)",
      ("net.gradients",), "delegation"),
    W("backward", "bplib's activation.backward between the layers",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="net.activation(l - 1).backward(trace.s[l - 1], trace.x[l - 1], dl_dx)"),
      ("activation.backward", "not yours"), "delegation"),
    W("backward", "bplib's sigma' (activation.derivative) between the layers",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="net.activation(l - 1).derivative(trace.s[l - 1]) * dl_dx"),
      ("activation.derivative",), "delegation"),
    W("backward", "sigma' forgotten",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]", step="dl_dx"),
      ("sigma' is missing",)),
    W("backward", "s and x swapped in the call of local_derivative",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.x[l - 1], trace.s[l - 1]) * dl_dx"),
      ("x^(l-1) where s^(l-1) belongs",)),
    W("backward", "layer l's sigma' for layer l-1's",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(net.activation(l).name, trace.s[l], trace.x[l]) * dl_dx"),
      ("sigma' of layer l where layer l-1's belongs",)),
    W("backward", "sigma'(s^(L)) applied again to delta^(L)",
      BWD.format(start="local_derivative(net.activation(net.L).name, trace.s[net.L], trace.output)"
                       " * dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"),
      ("taken twice",)),
    W("backward", "x^(l) for x^(l-1) in dW",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"),
      ("x^(l-1)", "x^(l), the activation that leaves it")),
    W("backward", "the wrong sign",
      BWD.format(start="-dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"),
      ("wrong sign",)),
    W("backward", "the loop misses layer 1",
      BWD.format(start="dl_dsL", loop="net.L, 1, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"),
      ("missing",)),
    W("backward", "its own layer_backward takes the mean over the batch",
      "def layer_backward(dl_ds, x_prev, W):\n"
      "    rows, prev = np.atleast_2d(dl_ds), np.atleast_2d(x_prev)\n"
      "    return rows.T @ prev / len(rows), rows.mean(axis=0), dl_ds @ W\n"
      + BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                   step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"),
      ("layer_backward", "does not pass its own check")),
    W("backward", "its own local_derivative is the sigmoid's for every sigma",
      "def local_derivative(name, s, x):\n    return x * (1 - x)\n"
      + BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                   step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"),
      ("local_derivative", "does not pass its own check")),
    W("backward", "a dict returned instead of the namespace",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"
                 ).replace("return SimpleNamespace(W=dW, b=db)", "return {'W': dW, 'b': db}"),
      ("SimpleNamespace(W=dW, b=db)",)),
    W("backward", "updates the trace in place",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="trace.s[l - 1].__imul__(0) + local_derivative(sigma, trace.s[l - 1], "
                      "trace.x[l - 1]) * dl_dx"),
      ("changed the trace",)),
    W("backward", "a gradient step taken on the network",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"
                 ).replace("    return SimpleNamespace", "    net.W[1] -= 0.1 * dW[1]\n"
                                                          "    return SimpleNamespace"),
      ("changed W^(l)",)),
    W("backward", "finite differences from gradcheck",
      "from bplib.gradcheck import numerical_gradients\n"
      "def backward(net, trace, dl_dsL):\n"
      "    n = numerical_gradients(net, trace.x[0], trace.output - dl_dsL)\n"
      "    return SimpleNamespace(W={l: n[f'W^({l})'] for l in range(1, net.L + 1)},\n"
      "                           b={l: n[f'b^({l})'] for l in range(1, net.L + 1)})",
      ("finite differences",), "delegation"),
    W("backward", "dW as a list",
      BWD.format(start="dl_dsL", loop="net.L, 0, -1", x_in="trace.x[l - 1]",
                 step="local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx"
                 ).replace("dW, db = {}, {}", "dW, db = [None] * (net.L + 1), [None] * (net.L + 1)"
                 ).replace("return SimpleNamespace(W=dW, b=db)",
                           "return SimpleNamespace(W=dW[1:], b=db[1:])"),
      ("list", "dict keyed by the layer number")),

    # --- 06: the chain rule on a graph with fan-out ------------------------------------------
    W("graph_gradients", "a value used twice gets only one path (the edge x -> p dropped)",
      GRAPH_FWD + "    dl_dx = dl_du * w\n" + GRAPH_RET,
      ("counts only the path through u", "sum over all the paths")),
    W("graph_gradients", "a value used twice gets only the direct path (x -> u dropped)",
      GRAPH_FWD + "    dl_dx = dl_dp\n" + GRAPH_RET,
      ("counts only the path through p",)),
    W("graph_gradients", "the paths averaged instead of added",
      GRAPH_FWD + "    dl_dx = (dl_du * w + dl_dp) / 2\n" + GRAPH_RET,
      ("averages the two paths", "with no 1/2")),
    W("graph_gradients", "the paths multiplied instead of added",
      GRAPH_FWD + "    dl_dx = (dl_du * w) * dl_dp\n" + GRAPH_RET,
      ("add up", "do not multiply")),
    W("graph_gradients", "d(w x)/dw taken as w, not the other factor",
      GRAPH_FWD.replace("dl_dw = dl_du * x", "dl_dw = dl_du * w")
      + "    dl_dx = dl_du * w + dl_dp\n"
      + GRAPH_RET,
      ("edge w -> u", "other factor")),
    W("graph_gradients", "sigma' left out: dl/du = dl/dv",
      GRAPH_FWD.replace("dl_du = dl_dv * v * (1 - v)", "dl_du = dl_dv")
      + "    dl_dx = dl_du * w + dl_dp\n"
      + GRAPH_RET,
      ("edge u -> v", "dv/du is missing")),
    W("graph_gradients", "sigma'(u) taken at v, the value sigma leaves",
      GRAPH_FWD.replace("dl_du = dl_dv * v * (1 - v)",
                        "sv = 1 / (1 + np.exp(-v))\n    dl_du = dl_dv * sv * (1 - sv)")
      + "    dl_dx = dl_du * w + dl_dp\n" + GRAPH_RET,
      ("edge u -> v", "value that enters sigma")),
    W("graph_gradients", "d(p^2)/dp without the factor 2",
      GRAPH_FWD.replace("dl_dp = 2 * p", "dl_dp = p") + "    dl_dx = dl_du * w + dl_dp\n"
      + GRAPH_RET,
      ("edge p -> l", "factor 2")),
    W("graph_gradients", "returns a list of the gradients",
      GRAPH_FWD + "    dl_dx = dl_du * w + dl_dp\n    return [dl_dp, dl_dv, dl_du, dl_dw, dl_dx]\n",
      ("return a dict",)),
    W("graph_gradients", "finite differences on l",
      "def graph_gradients(x, w):\n"
      "    l = lambda x, w: (1 / (1 + np.exp(-w * x)) + x) ** 2\n"
      "    h = 1e-6\n"
      "    u = w * x; v = 1 / (1 + np.exp(-u)); p = v + x\n"
      "    return {'p': 2 * p, 'v': 2 * p, 'u': 2 * p * v * (1 - v),\n"
      "            'w': bplib.derivative(lambda t: l(x, t), w),\n"
      "            'x': bplib.derivative(lambda t: l(t, w), x)}",
      ("finite differences",), "delegation"),
    W("graph_gradients", "calls the reference of the checks",
      "from bpcourse import nb06\n"
      "def graph_gradients(x, w):\n    return nb06.graph_gradients(x, w)",
      ("reference of the checks",), "delegation"),

    # --- 07: forward mode -------------------------------------------------------------------
    W("gradient_forward_mode", "reverse mode handed in for forward mode",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    g = dl_dxN\n"
      "    for J in reversed(jacobians):\n"
      "        g = g @ J\n"
      "    return g",
      ("that is reverse mode",), "method"),
    W("gradient_forward_mode", "all directions at once: the identity pushed through as a matrix",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    V = np.eye(jacobians[0].shape[1])\n"
      "    for J in jacobians:\n"
      "        V = J @ V\n"
      "    return dl_dxN @ V",
      ("matrix-matrix product", "one input direction"), "method"),
    W("gradient_forward_mode", "the whole product J_N ... J_1 first",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    P = jacobians[0]\n"
      "    for J in jacobians[1:]:\n"
      "        P = J @ P\n"
      "    return dl_dxN @ P",
      ("matrix-matrix product",), "method"),
    W("gradient_forward_mode", "the Jacobians pushed in the wrong order (J_N first)",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    d0 = jacobians[0].shape[1]\n"
      "    g = np.zeros(d0)\n"
      "    for k in range(d0):\n"
      "        v = np.eye(d0)[k]\n"
      "        for J in reversed(jacobians):\n"
      "            v = J @ v\n"
      "        g[k] = dl_dxN @ v\n"
      "    return g",
      ("J_1",)),
    W("gradient_forward_mode", "sign flipped",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    d0 = jacobians[0].shape[1]\n"
      "    g = np.zeros(d0)\n"
      "    for k in range(d0):\n"
      "        v = np.eye(d0)[k]\n"
      "        for J in jacobians:\n"
      "            v = J @ v\n"
      "        g[k] = -(dl_dxN @ v)\n"
      "    return g",
      ("sign",)),
    W("gradient_forward_mode", "the same direction pushed twice (a product counted wrong)",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    d0 = jacobians[0].shape[1]\n"
      "    g = np.zeros(d0)\n"
      "    for k in range(d0):\n"
      "        for _ in range(2):\n"
      "            v = np.eye(d0)[k]\n"
      "            for J in jacobians:\n"
      "                v = J @ v\n"
      "        g[k] = dl_dxN @ v\n"
      "    return g",
      ("d_0 * N",), "method"),
    W("gradient_forward_mode", "three functions written out: right only for N = 3",
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    J1, J2, J3 = jacobians\n"
      "    g = np.zeros(J1.shape[1])\n"
      "    for k in range(J1.shape[1]):\n"
      "        v = J3 @ (J2 @ (J1 @ np.eye(J1.shape[1])[k]))\n"
      "        g[k] = dl_dxN @ v\n"
      "    return g",
      ("N = 2", "whatever its length")),
    W("gradient_forward_mode", "calls the reference of the checks",
      "from bpcourse import nb07\n"
      "def gradient_forward_mode(jacobians, dl_dxN):\n"
      "    return nb07.gradient_from_left(jacobians, dl_dxN)",
      ("reference of the checks",), "delegation"),

    # --- 08: dl/dw^2_jk by hand -----------------------------------------------------------------
    W("output_weight_gradient", "sigma' left out",
      OUT.format(expr="(x2[j] - y[j]) * x1[k]"), ("sigma' is missing",)),
    W("output_weight_gradient", "sigma' taken at x instead of s",
      OUT.format(expr="(x2[j] - y[j]) * sig(x2[j]) * (1 - sig(x2[j])) * x1[k]"),
      ("sigma'(x^2_j) where sigma'(s^2_j) belongs",)),
    W("output_weight_gradient", "y - x for x - y",
      OUT.format(expr="(y[j] - x2[j]) * x2[j] * (1 - x2[j]) * x1[k]"), ("sign is wrong",)),
    W("output_weight_gradient", "x^0_k for x^1_k (off by one layer)",
      OUT.format(expr="(x2[j] - y[j]) * x2[j] * (1 - x2[j]) * trace.x[0][k]"),
      ("your factor x^0_k", "the activation that enters layer 2")),
    W("output_weight_gradient", "indices j, k swapped: the result transposed",
      "def output_weight_gradient(net, trace, y):\n"
      "    x1, x2 = trace.x[1], trace.x[2]\n"
      "    dW2 = np.zeros((net.sizes[1], net.sizes[2]))\n"
      "    for j in range(net.sizes[2]):\n"
      "        for k in range(net.sizes[1]):\n"
      "            dW2[k, j] = (x2[j] - y[j]) * x2[j] * (1 - x2[j]) * x1[k]\n"
      "    return dW2",
      ("swapped",)),
    W("output_weight_gradient", "the vector form (np.outer) where entries one at a time are asked",
      "def output_weight_gradient(net, trace, y):\n"
      "    x1, x2 = trace.x[1], trace.x[2]\n"
      "    return np.outer((x2 - y) * x2 * (1 - x2), x1)",
      ("one at a time", "loop over j and k"), "method"),
    W("output_weight_gradient", "net.gradients does it all",
      "def output_weight_gradient(net, trace, y):\n"
      "    return net.gradients(trace.x[0], y).W[2]",
      ("net.gradients",), "delegation"),
    W("output_weight_gradient", "sigma' from bplib's activation",
      OUT.format(expr="(x2[j] - y[j]) * net.activation(2).derivative(trace.s[2][j]) * x1[k]"),
      ("derivative",), "delegation"),
    W("output_weight_gradient", "returns a list of rows",
      "def output_weight_gradient(net, trace, y):\n"
      "    x1, x2 = trace.x[1], trace.x[2]\n"
      "    return [[(x2[j] - y[j]) * x2[j] * (1 - x2[j]) * x1[k] for k in range(net.sizes[1])]\n"
      "            for j in range(net.sizes[2])]",
      ("Python list",)),

    # --- 08: dl/dw^1_jk by hand -----------------------------------------------------------------
    W("hidden_weight_gradient", "only the last output neuron's path (= for +=)",
      HID.format(acc="total = ", path="(x2[i] - y[i]) * x2[i] * (1 - x2[i]) * W2[i, j]",
                 tail="x1[j] * (1 - x1[j]) * x0[k]"),
      ("only the last output neuron's path",)),
    W("hidden_weight_gradient", "w^2_ji for w^2_ij",
      HID.format(acc="total += ", path="(x2[i] - y[i]) * x2[i] * (1 - x2[i]) * W2.T[i, j]",
                 tail="x1[j] * (1 - x1[j]) * x0[k]"),
      ("w^2_ji where w^2_ij belongs",)),
    W("hidden_weight_gradient", "sigma'(s^1_j) left out",
      HID.format(acc="total += ", path="(x2[i] - y[i]) * x2[i] * (1 - x2[i]) * W2[i, j]",
                 tail="x0[k]"),
      ("sigma'(s^1_j) is missing",)),
    W("hidden_weight_gradient", "sigma'(s^2_i) left out of each path",
      HID.format(acc="total += ", path="(x2[i] - y[i]) * W2[i, j]",
                 tail="x1[j] * (1 - x1[j]) * x0[k]"),
      ("sigma'(s^2_i) is missing",)),
    W("hidden_weight_gradient", "sigma' taken at x in both layers",
      HID.format(acc="total += ", path="(x2[i] - y[i]) * sig(x2[i]) * (1 - sig(x2[i])) * W2[i, j]",
                 tail="sig(x1[j]) * (1 - sig(x1[j])) * x0[k]"),
      ("sigma'(x) where sigma'(s) belongs",)),
    W("hidden_weight_gradient", "sigma'(x^1_j) for sigma'(s^1_j)",
      HID.format(acc="total += ", path="(x2[i] - y[i]) * x2[i] * (1 - x2[i]) * W2[i, j]",
                 tail="sig(x1[j]) * (1 - sig(x1[j])) * x0[k]"),
      ("sigma'(x^1_j) where sigma'(s^1_j) belongs",)),
    W("hidden_weight_gradient", "y - x for x - y",
      HID.format(acc="total += ", path="(y[i] - x2[i]) * x2[i] * (1 - x2[i]) * W2[i, j]",
                 tail="x1[j] * (1 - x1[j]) * x0[k]"),
      ("sign is wrong",)),
    W("hidden_weight_gradient", "x^1_k for x^0_k",
      HID.format(acc="total += ", path="(x2[i] - y[i]) * x2[i] * (1 - x2[i]) * W2[i, j]",
                 tail="x1[j] * (1 - x1[j]) * x1[k]"),
      ("your factor x^1_k", "the input that enters layer 1")),
    W("hidden_weight_gradient", "the vector form BP2 where entries are asked",
      "def hidden_weight_gradient(net, trace, y):\n"
      "    x0, x1, x2 = trace.x[0], trace.x[1], trace.x[2]\n"
      "    delta2 = (x2 - y) * x2 * (1 - x2)\n"
      "    return np.outer(x1 * (1 - x1) * (net.W[2].T @ delta2), x0)",
      ("one at a time",), "method"),
    W("hidden_weight_gradient", "bplib's backward pass",
      "def hidden_weight_gradient(net, trace, y):\n"
      "    return net.backward(trace, trace.output - y).W[1]",
      ("net.backward",), "delegation"),
    W("hidden_weight_gradient", "finite differences",
      "from bplib.gradcheck import numerical_gradients\n"
      "def hidden_weight_gradient(net, trace, y):\n"
      "    return numerical_gradients(net, trace.x[0], y)['W^(1)']",
      ("finite differences",), "delegation"),

    # --- 08: local derivatives ------------------------------------------------------------------
    W("local_derivative", "sigma' of the sigmoid taken at x",
      LOC.format(sig="sig(x) * (1 - sig(x))", tanh="1 - x ** 2", relu="(s > 0).astype(float)"),
      ("sigma'(x^(l)) where sigma'(s^(l)) belongs",)),
    W("local_derivative", "tanh' without the square",
      LOC.format(sig="x * (1 - x)", tanh="1 - x", relu="(s > 0).astype(float)"),
      ("your 1 - x for tanh", "the same at s and -s")),
    W("local_derivative", "the sigmoid's x(1 - x) used for tanh",
      LOC.format(sig="x * (1 - x)", tanh="x * (1 - x)", relu="(s > 0).astype(float)"),
      ("sigmoid's",)),
    W("local_derivative", "relu' as relu itself",
      LOC.format(sig="x * (1 - x)", tanh="1 - x ** 2", relu="np.maximum(s, 0)"),
      ("relu itself",)),
    W("local_derivative", "relu' = 1 everywhere",
      LOC.format(sig="x * (1 - x)", tanh="1 - x ** 2", relu="np.ones_like(s)"),
      ("yours is 1 everywhere", "where s < 0", "flat")),
    W("local_derivative", "relu' = 1 at s = 0 (s >= 0)",
      LOC.format(sig="x * (1 - x)", tanh="1 - x ** 2", relu="(s >= 0).astype(float)"),
      ("at s = 0", "kink")),
    W("local_derivative", "right only for one shape of s (a fixed (3, 4))",
      LOC.format(sig="(x * (1 - x)).reshape(3, 4)", tanh="1 - x ** 2", relu="(s > 0).astype(float)"),
      ("shape",)),
    W("local_derivative", "sigmoid' = 1 - x^2 (tanh's)",
      LOC.format(sig="1 - x ** 2", tanh="1 - x ** 2", relu="(s > 0).astype(float)"),
      ("tanh'",)),
    W("local_derivative", "sigma recomputed from s instead of the saved x",
      LOC.format(sig="sig(s) * (1 - sig(s))", tanh="1 - np.tanh(s) ** 2",
                 relu="(s > 0).astype(float)"),
      ("computes sigma(s) again", "saved"), "method"),
    W("local_derivative", "bplib's derivative",
      "def local_derivative(name, s, x):\n"
      "    return bplib.activations.get(name).derivative(s)",
      ("derivative",), "delegation"),
    W("local_derivative", "finite differences",
      "def local_derivative(name, s, x):\n"
      "    f = bplib.activations.get(name)\n"
      "    return bplib.derivative(f, s)",
      ("finite differences",), "delegation"),

    # --- 08: softmax with cross-entropy ---------------------------------------------------------
    W("softmax_cross_entropy_delta", "y - x for x - y",
      "def softmax_cross_entropy_delta(xL, y):\n    return y - xL", ("sign is wrong",)),
    W("softmax_cross_entropy_delta", "dl/dx^(L) = -y/x, the softmax Jacobian left out",
      "def softmax_cross_entropy_delta(xL, y):\n    return -y / xL",
      ("-y / x^(L)", "softmax Jacobian")),
    W("softmax_cross_entropy_delta", "softmax treated as element-wise, sigma' = x(1 - x)",
      "def softmax_cross_entropy_delta(xL, y):\n    return xL * (1 - xL) * (xL - y)",
      ("not element-wise",)),
    W("softmax_cross_entropy_delta", "y forgotten",
      "def softmax_cross_entropy_delta(xL, y):\n    return xL", ("y is missing",)),
    W("softmax_cross_entropy_delta", "bplib's fused gradient",
      "def softmax_cross_entropy_delta(xL, y):\n"
      "    return bplib.cross_entropy.grad_after_softmax(xL, y)",
      ("fused",), "delegation"),
    W("softmax_cross_entropy_delta", "bplib's softmax backward step",
      "def softmax_cross_entropy_delta(xL, y):\n"
      "    return bplib.softmax.backward(None, xL, -y / xL)",
      ("softmax backward",), "delegation"),
]

# --- 06: the engine, a class Value (each source defines it) ---------------------------------------
ENGINE = (
    'import math\n'
    '\n'
    '\n'
    'class Value:\n'
    "    '''A scalar node: data its value, grad dl/d(node) once backward() has run on the output l.'''\n"
    '\n'
    '    def __init__(self, data, _prev=()):\n'
    '        self.data, self.grad = float(data), 0.0\n'
    '        self._prev = _prev               # the nodes this one is computed from\n'
    '        self._backward = lambda: None    # its local backward step; an input has none\n'
    '\n'
    '    def __add__(self, other):\n'
    '        other = other if isinstance(other, Value) else Value(other)\n'
    '        out = Value(self.data + other.data, (self, other))\n'
    '\n'
    '        def _backward():\n'
    '            self.grad += out.grad\n'
    '            other.grad += out.grad\n'
    '        out._backward = _backward\n'
    '        return out\n'
    '\n'
    '    def __mul__(self, other):\n'
    '        other = other if isinstance(other, Value) else Value(other)\n'
    '        out = Value(self.data * other.data, (self, other))\n'
    '\n'
    '        def _backward():\n'
    '            self.grad += other.data * out.grad\n'
    '            other.grad += self.data * out.grad\n'
    '        out._backward = _backward\n'
    '        return out\n'
    '\n'
    '    __radd__, __rmul__ = __add__, __mul__   # 1 + v and 2 * v\n'
    '\n'
    '    def sigma(self):\n'
    '        out = Value(1 / (1 + math.exp(-self.data)), (self,))\n'
    '\n'
    '        def _backward():\n'
    '            self.grad += out.data * (1 - out.data) * out.grad\n'
    '        out._backward = _backward\n'
    '        return out\n'
    '\n'
    '    def square(self):\n'
    '        out = Value(self.data ** 2, (self,))\n'
    '\n'
    '        def _backward():\n'
    '            self.grad += 2 * self.data * out.grad\n'
    '        out._backward = _backward\n'
    '        return out\n'
    '\n'
    '    def backward(self):\n'
    "        '''Fill in dl/d(node) for every node this one depends on, with l = this node.'''\n"
    '        order, seen = [], set()\n'
    '\n'
    '        def visit(v):        # a node is listed after every node it is computed from\n'
    '            if v not in seen:\n'
    '                seen.add(v)\n'
    '                for u in v._prev:\n'
    '                    visit(u)\n'
    '                order.append(v)\n'
    '\n'
    '        visit(self)\n'
    '        for v in order:      # a second call starts afresh\n'
    '            v.grad = 0.0\n'
    '        self.grad = 1.0\n'
    '        for v in reversed(order):\n'
    '            v._backward()\n'
    ''
)
ENGINE_BACKWARD = ENGINE[ENGINE.index("        order, seen"):]


def engine(*edits):
    """The right engine with each (old, new) text replaced."""
    source = ENGINE
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


ADD_STEP = "            self.grad += out.grad\n            other.grad += out.grad\n"
SIGMA_STEP = "self.grad += out.data * (1 - out.data) * out.grad"
ANSWERS += [
    W("Value", "= for += in every step: a value used twice keeps one path",
      engine(("self.grad += ", "self.grad = "), ("other.grad += ", "other.grad = ")),
      ("x feeds u and p", "(+=)")),
    W("Value", "= for += in the sum's step: a + a keeps one edge",
      engine((ADD_STEP, ADD_STEP.replace("+=", "="))),
      ("used twice by one operation", "(+=)")),
    W("Value", "the steps in topological order, not reversed",
      engine(("for v in reversed(order):", "for v in order:")),
      ("from the inputs up", "reverse topological order")),
    W("Value", "the steps level by level from l (a queue), not a topological order",
      engine((ENGINE_BACKWARD,
              "        order, seen = [self], {self}\n"
              "        for v in order:\n"
              "            for u in v._prev:\n"
              "                if u not in seen:\n"
              "                    seen.add(u)\n"
              "                    order.append(u)\n"
              "        for v in order:\n"
              "            v.grad = 0.0\n"
              "        self.grad = 1.0\n"
              "        for v in order:\n"
              "            v._backward()\n")),
      ("before every node h feeds", "reverse topological order")),
    W("Value", "no set of visited nodes: a node listed once per path to it",
      engine(("            if v not in seen:\n                seen.add(v)\n"
              "                for u in v._prev:\n                    visit(u)\n"
              "                order.append(v)",
              "            for u in v._prev:\n                visit(u)\n            order.append(v)")),
      ("more than once", "visited twice")),
    W("Value", "the gradients not reset: a second backward() adds onto the first",
      engine(("        for v in order:      # a second call starts afresh\n            v.grad = 0.0\n", "")),
      ("a second time", "reset the grad of every node")),
    W("Value", "the output's gradient not set to 1",
      engine(("        self.grad = 1.0\n", "")),
      ("dl/dl = 1",)),
    W("Value", "the output's gradient set to 1 after the steps ran",
      engine(("        self.grad = 1.0\n        for v in reversed(order):\n            v._backward()\n",
              "        for v in reversed(order):\n            v._backward()\n        self.grad = 1.0\n")),
      ("dl/dl = 1", "before the steps run")),
    W("Value", "each node's step run as the search first reaches it (pre-order), not in reverse "
               "topological order",
      engine(("                for u in v._prev:\n                    visit(u)\n"
              "                order.append(v)",
              "                order.append(v)\n                for u in v._prev:\n"
              "                    visit(u)"),
             ("for v in reversed(order):", "for v in order:")),
      ("before every node h feeds", "reverse topological order")),
    W("Value", "sigma itself for sigma'",
      engine((SIGMA_STEP, "self.grad += out.data * out.grad")),
      ("local backward step of sigma", "not the slope")),
    W("Value", "sigma' taken at the value sigma leaves",
      engine((SIGMA_STEP, "s = 1 / (1 + math.exp(-out.data))\n"
                          "            self.grad += s * (1 - s) * out.grad")),
      ("local backward step of sigma", "value sigma leaves")),
    W("Value", "half of sigma': 1 - sigma only",
      engine((SIGMA_STEP, "self.grad += (1 - out.data) * out.grad")),
      ("local backward step of sigma", "saved in its forward part")),
    W("Value", "a product's step with a factor's own value",
      engine(("self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
             ("other.grad += self.data * out.grad", "other.grad += other.data * out.grad")),
      ("local backward step of *", "own value")),
    W("Value", "the square's step without the factor 2",
      engine(("self.grad += 2 * self.data * out.grad", "self.grad += self.data * out.grad")),
      ("local backward step of square", "factor 2 is missing")),
    W("Value", "the square's step as the constant 2",
      engine(("self.grad += 2 * self.data * out.grad", "self.grad += 2 * out.grad")),
      ("local backward step of square", "a constant")),
    W("Value", "a product's step without out.grad",
      engine(("self.grad += other.data * out.grad", "self.grad += other.data"),
             ("other.grad += self.data * out.grad", "other.grad += self.data")),
      ("local derivative alone", "out.grad")),
    W("Value", "the sum's step forgets its second input",
      engine(("            other.grad += out.grad\n", "")),
      ("local backward step of +", "adds nothing to b.grad")),
    W("Value", "bplib's own engine handed in", "from bplib.graph import Value",
      ("bplib.graph.Value",), "delegation"),
    W("Value", "an engine built on bplib's",
      "import bplib.graph\n\n\nclass Value(bplib.graph.Value):\n    pass",
      ("bplib.graph.Value",), "delegation"),
    W("Value", "bplib's topological order",
      engine(("        order, seen = [], set()",
              "        import bplib.graph\n        order, seen = bplib.graph.nodes(self), set()")),
      ("bplib.graph.nodes",), "delegation"),
    W("Value", "sigma's step by finite differences",
      engine((SIGMA_STEP, "self.grad += bplib.derivative(lambda t: 1 / (1 + np.exp(-t)), self.data) "
                          "* out.grad")),
      ("finite differences",), "delegation"),
]

ANSWERS += [
    W("numerical_jacobian", "the check's own central differences",
      "from bpcourse import nb02\n"
      "def numerical_jacobian(f, x, h=1e-5):\n    return nb02._difference(f, x, h)",
      ("reference of the checks",), "delegation"),
    W("numerical_jacobian", "the notebook's own central differences, from the cell below",
      "from bpcourse import nb02\n"
      "def numerical_jacobian(f, x, h=1e-5):\n    return nb02.central_difference(f, x, h)",
      ("reference of the checks",), "delegation"),
    W("chain_derivative", "the check's own loop",
      "from bpcourse import nb06\n"
      "def chain_derivative(stages, x):\n    return nb06._chain(stages, x)",
      ("reference of the checks",), "delegation"),
    W("backward", "the check's own backward pass with no mistake chosen",
      "from bpcourse import nb08\n"
      "def backward(net, trace, dl_dsL):\n    return nb08._variant(net, trace, dl_dsL)",
      ("reference of the checks",), "delegation"),
]

# --- 09: the memory of the trace -----------------------------------------------------------------
TF = "def trace_floats(sizes, N):\n    return {}"
ZE = ("def zero_gradient_entries(net, trace, l):\n"
      "    rows = net.activation(l).derivative(trace.s[l]) == 0\n"
      "    cols = trace.x[l - 1] == 0\n"
      "    return {}")
SR = "def saturation_ratio(s):\n    x = 1 / (1 + np.exp(-s))\n    return {}"
OD = "def output_deltas(xL, y):\n    slope = xL * (1 - xL)\n    return {}"

ANSWERS += [
    W("trace_floats", "x^(0) left out", TF.format("N * 2 * sum(sizes[1:])"),
      ("x^(0) is missing",)),
    W("trace_floats", "s^(l) left out", TF.format("N * sum(sizes)"), ("s^(l) is missing",)),
    W("trace_floats", "one sample: N left out", TF.format("sizes[0] + 2 * sum(sizes[1:])"),
      ("one sample",)),
    W("trace_floats", "bytes for floats", TF.format("8 * N * (sizes[0] + 2 * sum(sizes[1:]))"),
      ("bytes",)),
    W("trace_floats", "the parameters counted",
      TF.format("sum(d * (p + 1) for p, d in zip(sizes, sizes[1:]))"), ("parameters",)),
    W("trace_floats", "s^(L) of the output layer left out",
      TF.format("N * (sizes[0] + 2 * sum(sizes[1:-1]) + sizes[-1])"), ("s^(L)",)),
    W("trace_floats", "s^(0) counted as if the input had one",
      TF.format("N * 2 * sum(sizes)"), ("x^(l) for l = 0..L and s^(l) for l = 1..L",)),
    W("trace_floats", "a list, one count per layer", TF.format("[N * d for d in sizes]"),
      ("one whole number",)),
    W("trace_floats", "measured on a network built for it",
      "def trace_floats(sizes, N):\n"
      "    trace = bplib.MLP(sizes).forward(np.zeros((N, sizes[0])))\n"
      "    return sum(a.size for a in list(trace.x.values()) + list(trace.s.values()))",
      ("bplib.MLP",), "delegation"),
    W("trace_floats", "the check's own measurement",
      "from bpcourse import nb09\n"
      "def trace_floats(sizes, N):\n    return nb09.measured_floats(sizes, N)",
      ("reference of the checks",), "delegation"),

    # --- 09: BP4's zero entries ------------------------------------------------------------------
    W("zero_gradient_entries", "only the inputs that are 0 (BP4's x^(l-1)_k)",
      ZE.format("np.zeros(net.W[l].shape, dtype=bool) | cols[None, :]"), ("columns",)),
    W("zero_gradient_entries", "only the neurons switched off (sigma'(s^l_j) = 0)",
      ZE.format("rows[:, None] | np.zeros(net.W[l].shape, dtype=bool)"), ("rows",)),
    W("zero_gradient_entries", "and for or", ZE.format("rows[:, None] & cols[None, :]"),
      ("both",)),
    W("zero_gradient_entries", "relu's rows on every layer, the output layer too",
      ZE.format("(trace.s[l] <= 0)[:, None] | cols[None, :]"), ("not relu",)),
    W("zero_gradient_entries", "True where the gradient is not 0",
      ZE.format("~(rows[:, None] | cols[None, :])"), ("True where the gradient is not 0",)),
    W("zero_gradient_entries", "rows and columns swapped",
      ZE.format("cols[:, None] | rows[None, :]"), ("row j, column k",)),
    W("zero_gradient_entries", "a list of lists",
      ZE.format("(rows[:, None] | cols[None, :]).tolist()"), ("Python list",)),
    W("zero_gradient_entries", "x^(l) for x^(l-1)",
      "def zero_gradient_entries(net, trace, l):\n"
      "    rows = net.activation(l).derivative(trace.s[l]) == 0\n"
      "    return rows[:, None] | (trace.x[l] == 0)[None, :]",
      ("(5, 5)", "5 columns, one per neuron of layer 1", "as if k ran over x^(1)")),
    W("zero_gradient_entries", "the gradient computed by bplib's backward pass",
      "def zero_gradient_entries(net, trace, l):\n"
      "    return net.backward(trace, trace.output - 1.0).W[l] == 0",
      ("net.backward",), "delegation"),
    W("zero_gradient_entries", "the check's own mask",
      "from bpcourse import nb09\n"
      "def zero_gradient_entries(net, trace, l):\n    return nb09._zero_variant(net, trace, l)",
      ("reference of the checks",), "delegation"),

    # --- 09: a saturated neuron ------------------------------------------------------------------
    W("saturation_ratio", "sigma'(s) alone", SR.format("x * (1 - x)"),
      ("|delta| of the neuron at s = 0",)),
    W("saturation_ratio", "upside down", SR.format("0.25 / (x * (1 - x))"), ("upside down",)),
    W("saturation_ratio", "sigma for sigma'", SR.format("x"), ("the activation",)),
    W("saturation_ratio", "divided by sigma(0)", SR.format("x * (1 - x) / 0.5"), ("sigma(0)",)),
    W("saturation_ratio", "the tails' approximation 4 e^-|s|", SR.format("4 * np.exp(-np.abs(s))"),
      ("approximation",)),
    W("saturation_ratio", "tanh's slope", SR.format("1 - np.tanh(s) ** 2"), ("BP2",)),
    W("saturation_ratio", "bplib's sigma'",
      "def saturation_ratio(s):\n"
      "    return bplib.sigmoid.derivative(s) / bplib.sigmoid.derivative(0.0)",
      ("derivative",), "delegation"),
    W("saturation_ratio", "finite differences",
      "def saturation_ratio(s):\n    return bplib.derivative(bplib.sigmoid, s) / 0.25",
      ("finite differences",), "delegation"),
    W("saturation_ratio", "the check's real network",
      "from bpcourse import nb09\n"
      "def saturation_ratio(s):\n    return nb09.real_delta_ratio(s)",
      ("net.gradients",), "delegation"),

    # --- 09: quadratic loss against cross-entropy --------------------------------------------------
    W("output_deltas", "sigma' left out of the quadratic loss's delta",
      OD.format("xL - y, xL - y"), ("x^(L) - y alone",)),
    W("output_deltas", "the cross-entropy's delta taken as the quadratic's",
      OD.format("(xL - y) * slope, (xL - y) * slope"), ("equals the quadratic one",)),
    W("output_deltas", "the cross-entropy's dl/dx^(L) for its delta",
      OD.format("(xL - y) * slope, (xL - y) / slope"), ("dl/dx^(L) alone",)),
    W("output_deltas", "notebook 08's softmax cross-entropy on a sigmoid output",
      OD.format("(xL - y) * slope, -y / xL * slope"), ("(1 - y) log(1 - x)",)),
    W("output_deltas", "y - x for x - y", OD.format("(y - xL) * slope, y - xL"),
      ("signs are wrong",)),
    W("output_deltas", "the pair swapped", OD.format("xL - y, (xL - y) * slope"), ("swapped",)),
    W("output_deltas", "sigma' taken at x^(L)",
      "def output_deltas(xL, y):\n"
      "    sig = 1 / (1 + np.exp(-xL))\n"
      "    return (xL - y) * sig * (1 - sig), xL - y",
      ("sigma'(x^(L))",)),
    W("output_deltas", "a list for the pair", OD.format("[(xL - y) * slope, xL - y]"),
      ("tuple",)),
    W("output_deltas", "bplib's backward step and loss gradient",
      "def output_deltas(xL, y):\n"
      "    dq = bplib.sigmoid.backward(None, xL, bplib.quadratic.gradient(xL, y))\n"
      "    return dq, xL - y",
      ("bplib's",), "delegation"),
    W("output_deltas", "the check's own cross-entropy gradient",
      "from bpcourse import nb09\n"
      "def output_deltas(xL, y):\n"
      "    slope = xL * (1 - xL)\n"
      "    return (xL - y) * slope, nb09.binary_cross_entropy.gradient(xL, y) * slope",
      ("loss gradient",), "delegation"),
]
