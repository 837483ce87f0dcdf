"""Right answers written the many ways students write them: no check may refuse one."""

RIGHT = [
    ("weight_shape", "def weight_shape(sizes, l):\n    return sizes[l], sizes[l - 1]"),
    ("weight_shape", "def weight_shape(sizes, l):\n    d = np.array(sizes)\n"
                     "    return tuple(int(v) for v in d[[l, l - 1]])"),
    ("numerical_jacobian",
     "def numerical_jacobian(f, x, h=1e-5):\n"
     "    J = np.zeros((len(f(x)), len(x)))\n"
     "    for j in range(len(x)):\n"
     "        old = x[j]\n"
     "        x[j] = old + h\n"
     "        up = f(x)\n"
     "        x[j] = old - h\n"
     "        down = f(x)\n"
     "        x[j] = old\n"
     "        J[:, j] = (up - down) / (2 * h)\n"
     "    return J"),
    ("numerical_jacobian",
     "def numerical_jacobian(f, x, h=1e-5):\n"
     "    E = h * np.eye(x.size)\n"
     "    return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in E]).T"),
    ("neuron", "def neuron(W, b, x_prev, j, sigma):\n"
               "    return sigma(sum(W[j, k] * x_prev[k] for k in range(len(x_prev))) + b[j])"),
    ("neuron", "def neuron(W, b, x_prev, j, sigma):\n"
               "    s = 0\n"
               "    for w, xk in zip(W[j], x_prev):\n"
               "        s = s + w * xk\n"
               "    return sigma(s + b[j])"),
    ("neuron", "def neuron(W, b, x_prev, j, sigma):\n"
               "    s = b[j]\n"
               "    for k, xk in enumerate(x_prev):\n"
               "        s += W[j][k] * xk\n"
               "    return float(sigma(s))"),
    ("weighted_input", "def weighted_input(W, b, x_prev):\n    return np.dot(W, x_prev) + b"),
    ("weighted_input", "def weighted_input(W, b, x_prev):\n    return W.dot(x_prev) + b"),
    ("weighted_input", "def weighted_input(W, b, x_prev):\n    return x_prev @ W.T + b"),
    ("weighted_input", "def weighted_input(W, b, x_prev):\n"
                       "    return np.einsum('jk,k->j', W, x_prev) + b"),
    ("forward", "def forward(net, x):\n"
                "    xs = [x]\n"
                "    for l in range(1, net.L + 1):\n"
                "        s = np.dot(net.W[l], xs[-1]) + net.b[l]\n"
                "        xs.append(net.activation(l)(s))\n"
                "    return xs[-1]"),
    ("forward", "def forward(net, x):\n"
                "    for l in range(1, net.L + 1):\n"
                "        x = net.activation(l)(x @ net.W[l].T + net.b[l])\n"
                "    return x"),
    ("forward_batch", "def forward_batch(net, X):\n"
                      "    for l in range(1, net.L + 1):\n"
                      "        X = net.activation(l)(np.dot(X, net.W[l].T) + net.b[l])\n"
                      "    return X"),
    ("forward_batch", "def forward_batch(net, X):\n"
                      "    A = X\n"
                      "    for l in range(1, net.L + 1):\n"
                      "        A = net.activation(l)((net.W[l] @ A.T).T + net.b[l])\n"
                      "    return A"),
    ("forward_batch", "def forward_batch(net, X):\n"
                      "    for l in range(1, net.L + 1):\n"
                      "        S = np.einsum('nk,jk->nj', X, net.W[l]) + net.b[l]\n"
                      "        X = net.activation(l)(S)\n"
                      "    return X"),
    ("finite_difference_gradients",
     "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
     "    dW, db = {}, {}\n"
     "    for l in range(1, net.L + 1):\n"
     "        W = net.W[l]\n"
     "        g = np.zeros(W.shape)\n"
     "        for j in range(W.shape[0]):\n"
     "            for k in range(W.shape[1]):\n"
     "                Wp = W.copy(); Wp[j, k] += h\n"
     "                Wm = W.copy(); Wm[j, k] -= h\n"
     "                net.W[l] = Wp; up = loss(net(x), y)\n"
     "                net.W[l] = Wm; down = loss(net(x), y)\n"
     "                net.W[l] = W\n"
     "                g[j, k] = (up - down) / (2 * h)\n"
     "        dW[l] = g\n"
     "        b = net.b[l]\n"
     "        g = np.zeros(b.shape)\n"
     "        for j in range(len(b)):\n"
     "            bp = b.copy(); bp[j] += h\n"
     "            bm = b.copy(); bm[j] -= h\n"
     "            net.b[l] = bp; up = loss(net(x), y)\n"
     "            net.b[l] = bm; down = loss(net(x), y)\n"
     "            net.b[l] = b\n"
     "            g[j] = (up - down) / (2 * h)\n"
     "        db[l] = g\n"
     "    return dW, db"),
    ("finite_difference_gradients",
     "def finite_difference_gradients(net, x, y, loss, h=1e-5):\n"
     "    print('loss before:', loss(net(x), y))\n"
     "    dW, db = {}, {}\n"
     "    for l in range(1, net.L + 1):\n"
     "        for P, G in ((net.W, dW), (net.b, db)):\n"
     "            t = P[l]\n"
     "            G[l] = np.zeros_like(t)\n"
     "            for i in np.ndindex(t.shape):\n"
     "                t[i] += h; up = loss(net(x), y)\n"
     "                t[i] -= 2 * h; down = loss(net(x), y)\n"
     "                t[i] += h\n"
     "                G[l][i] = (up - down) / (2 * h)\n"
     "    return dW, db"),
    ("df", "def df(x):\n    return 2 * x * np.cos(x * x) * np.exp(np.sin(x * x))"),
    ("df", "def df(x):\n    u = np.square(x)\n    v = np.sin(u)\n"
           "    return np.exp(v) * np.cos(u) * (2 * x)"),
    ("df", "def df(x):\n"
           "    return bplib.exp(bplib.sin(x ** 2)) * bplib.cos(x ** 2) * 2 * x"),
    ("chain_derivative", "def chain_derivative(stages, x):\n"
                         "    a, running = x, 1.0\n"
                         "    for f in stages:\n"
                         "        running *= f.derivative(a)\n"
                         "        a = f(a)\n"
                         "    return float(a), float(running)"),
    ("chain_derivative", "def chain_derivative(stages, x):\n"
                         "    values = [x]\n"
                         "    for f in stages:\n"
                         "        values.append(f(values[-1]))\n"
                         "    d = 1.0\n"
                         "    for f, a in zip(stages, values):\n"
                         "        d = d * f.derivative(a)\n"
                         "    return values[-1], d"),
    ("jacobian_sin_linear", "def jacobian_sin_linear(A, b, x):\n"
                            "    return np.cos(A @ x + b)[:, None] * A"),
    ("jacobian_sin_linear", "def jacobian_sin_linear(A, b, x):\n"
                            "    return (np.cos(A @ x + b) * A.T).T"),
    ("jacobian_sin_linear", "def jacobian_sin_linear(A, b, x):\n"
                            "    return np.diag(np.cos(np.dot(A, x) + b)).dot(A)"),
    ("softmax_jacobian", "def softmax_jacobian(s):\n"
                         "    p = bplib.softmax(s)\n"
                         "    return np.diag(p) - np.outer(p, p)"),
    ("softmax_jacobian", "def softmax_jacobian(s):\n"
                         "    p = bplib.softmax(s)\n"
                         "    m = len(s)\n"
                         "    J = np.zeros((m, m))\n"
                         "    for i in range(m):\n"
                         "        for k in range(m):\n"
                         "            J[i, k] = p[i] * ((i == k) - p[k])\n"
                         "    return J"),
    ("softmax_jacobian", "def softmax_jacobian(s):\n"
                         "    e = np.exp(s - s.max())\n"
                         "    p = e / np.sum(e)\n"
                         "    return p[:, None] * (np.eye(len(s)) - p[None, :])"),
    ("gradient_from_left", "def gradient_from_left(jacobians, dl_dxN):\n"
                           "    g = dl_dxN\n"
                           "    for J in jacobians[::-1]:\n"
                           "        g = J.T @ g\n"
                           "    return g"),
    ("gradient_from_left", "import functools\n"
                           "def gradient_from_left(jacobians, dl_dxN):\n"
                           "    return functools.reduce(lambda g, J: np.dot(g, J),"
                           " reversed(jacobians), dl_dxN)"),
    ("layer_backward", "def layer_backward(dl_ds, x_prev, W):\n"
                       "    rows, prev = np.atleast_2d(dl_ds), np.atleast_2d(x_prev)\n"
                       "    dW = np.einsum('nj,nk->jk', rows, prev)\n"
                       "    db = rows.sum(axis=0)\n"
                       "    return dW, db, (W.T @ rows.T).T.reshape(np.shape(x_prev))"),
    ("layer_backward", "def layer_backward(dl_ds, x_prev, W):\n"
                       "    if np.ndim(dl_ds) == 1:\n"
                       "        return dl_ds[:, None] * x_prev[None, :], dl_ds.copy(), W.T @ dl_ds\n"
                       "    return np.dot(dl_ds.T, x_prev), np.sum(dl_ds, axis=0), np.dot(dl_ds, W)"),
    ("backward", "def backward(net, trace, dl_dsL):\n"
                 "    dW, db = {}, {}\n"
                 "    delta = dl_dsL\n"
                 "    for l in reversed(range(1, net.L + 1)):\n"
                 "        dW[l], db[l], g = layer_backward(delta, trace.x[l - 1], net.W[l])\n"
                 "        if l == 1:\n"
                 "            break\n"
                 "        delta = g * local_derivative(net.sigma.name, trace.s[l - 1], trace.x[l - 1])\n"
                 "    return SimpleNamespace(W=dW, b=db)"),
    ("backward", "def backward(net, trace, dl_dsL):\n"
                 "    grads = SimpleNamespace(W={}, b={})\n"
                 "    dl_ds = np.array(dl_dsL, dtype=float)\n"
                 "    l = net.L\n"
                 "    while l >= 1:\n"
                 "        dW, db, dl_dx = layer_backward(dl_ds, trace.x[l - 1], net.W[l])\n"
                 "        grads.W[l], grads.b[l] = dW, db\n"
                 "        if l > 1:\n"
                 "            act = net.activation(l - 1)\n"
                 "            dl_ds = local_derivative(act.name, trace.s[l - 1], trace.x[l - 1]) * dl_dx\n"
                 "        l -= 1\n"
                 "    return grads"),
    ("graph_gradients",
     "def graph_gradients(x, w):\n"
     "    sigma = lambda t: 1 / (1 + np.exp(-t))\n"
     "    v = sigma(w * x)\n"
     "    p = v + x\n"
     "    g = {'p': 2 * p}\n"
     "    g['v'] = g['p']\n"
     "    g['u'] = g['v'] * sigma(w * x) * (1 - sigma(w * x))\n"
     "    g['w'] = g['u'] * x\n"
     "    g['x'] = g['p'] + g['u'] * w\n"
     "    return g"),
    ("gradient_forward_mode",
     "def gradient_forward_mode(jacobians, dl_dxN):\n"
     "    g = []\n"
     "    for k in range(jacobians[0].shape[1]):\n"
     "        v = jacobians[0][:, k]\n"
     "        for J in jacobians[1:]:\n"
     "            v = J @ v\n"
     "        g.append(np.dot(dl_dxN, v))\n"
     "    return np.array(g)"),
    ("output_weight_gradient",
     "def output_weight_gradient(net, trace, y):\n"
     "    dW2 = np.zeros_like(net.W[2])\n"
     "    for j in range(dW2.shape[0]):\n"
     "        s = trace.s[2][j]\n"
     "        dsigma = np.exp(-s) / (1 + np.exp(-s)) ** 2\n"
     "        for k in range(dW2.shape[1]):\n"
     "            dW2[j, k] = (trace.x[2][j] - y[j]) * dsigma * trace.x[1][k]\n"
     "    return dW2"),
    ("hidden_weight_gradient",
     "def hidden_weight_gradient(net, trace, y):\n"
     "    x0, x1, x2 = trace.x[0], trace.x[1], trace.x[2]\n"
     "    out = np.empty(net.W[1].shape)\n"
     "    for j in range(out.shape[0]):\n"
     "        for k in range(out.shape[1]):\n"
     "            paths = (np.asarray(x2) - y) * x2 * (1 - x2) * net.W[2][:, j]\n"
     "            out[j, k] = paths.sum() * x1[j] * (1 - x1[j]) * x0[k]\n"
     "    return out"),
    ("local_derivative",
     "def local_derivative(name, s, x):\n"
     "    return {'sigmoid': lambda: x - x ** 2, 'tanh': lambda: 1 - np.square(x),\n"
     "            'relu': lambda: np.where(s > 0, 1.0, 0.0)}[name]()"),
    ("softmax_cross_entropy_delta",
     "def softmax_cross_entropy_delta(xL, y):\n    return -(y - xL)"),
    ("trace_floats", "def trace_floats(sizes, N):\n    return N * sizes[0] + 2 * N * sum(sizes[1:])"),
    ("trace_floats", "def trace_floats(sizes, N):\n    d = np.array(sizes)\n"
                     "    return int(N * (2 * d.sum() - d[0]))"),
    ("zero_gradient_entries",
     "def zero_gradient_entries(net, trace, l):\n"
     "    if net.activation(l).name == 'relu':\n"
     "        off = trace.s[l] <= 0\n"
     "    else:\n"
     "        off = np.zeros(len(trace.s[l]), dtype=bool)\n"
     "    return np.logical_or.outer(off, trace.x[l - 1] == 0)"),
    ("zero_gradient_entries",
     "def zero_gradient_entries(net, trace, l):\n"
     "    d = net.activation(l).derivative(trace.s[l])\n"
     "    mask = np.zeros(net.W[l].shape, dtype=int)\n"
     "    for j in range(mask.shape[0]):\n"
     "        for k in range(mask.shape[1]):\n"
     "            mask[j, k] = d[j] * trace.x[l - 1][k] == 0\n"
     "    return mask"),
    ("saturation_ratio", "def saturation_ratio(s):\n    return 4 * np.exp(-s) / (1 + np.exp(-s)) ** 2"),
    ("output_deltas", "def output_deltas(xL, y):\n"
                      "    return xL * (1 - xL) * (xL - y), -(y - xL)"),
]

# The engine written other ways: the topological order by an explicit stack, or by counting each
# node's consumers (Kahn); sigma' from the value that enters sigma.
from wrong_answers import ENGINE_BACKWARD, SIGMA_STEP, engine  # noqa: E402

RIGHT += [
    ("Value", engine((ENGINE_BACKWARD,
                      "        order, seen, stack = [], set(), [(self, False)]\n"
                      "        while stack:\n"
                      "            v, done = stack.pop()\n"
                      "            if done:\n"
                      "                order.append(v)\n"
                      "            elif v not in seen:\n"
                      "                seen.add(v)\n"
                      "                stack.append((v, True))\n"
                      "                stack.extend((u, False) for u in v._prev)\n"
                      "        for v in order:\n"
                      "            v.grad = 0.0\n"
                      "        self.grad = 1.0\n"
                      "        for v in reversed(order):\n"
                      "            v._backward()\n"))),
    ("Value", engine((ENGINE_BACKWARD,
                      "        consumers, todo, seen = {}, [self], {self}\n"
                      "        while todo:\n"
                      "            v = todo.pop()\n"
                      "            for u in v._prev:\n"
                      "                consumers[u] = consumers.get(u, 0) + 1\n"
                      "                if u not in seen:\n"
                      "                    seen.add(u)\n"
                      "                    todo.append(u)\n"
                      "        for v in seen:\n"
                      "            v.grad = 0.0\n"
                      "        self.grad = 1.0\n"
                      "        ready = [self]\n"
                      "        while ready:\n"
                      "            v = ready.pop()\n"
                      "            v._backward()\n"
                      "            for u in v._prev:\n"
                      "                consumers[u] -= 1\n"
                      "                if consumers[u] == 0:\n"
                      "                    ready.append(u)\n"))),
    ("Value", engine((SIGMA_STEP, "s = 1 / (1 + math.exp(-self.data))\n"
                                  "            self.grad += s * (1 - s) * out.grad"))),
]
