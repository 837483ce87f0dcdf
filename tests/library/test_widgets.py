"""The widget exercises, driven without a browser: set values, click, read the feedback."""
import itertools
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy  # noqa: E402

import bplib  # noqa: E402
from bplib import widgets  # noqa: E402
from bplib._check import NotationError  # noqa: E402
from bplib.widgets import answer as answer_module  # noqa: E402


def f_prime(x):
    """d/dx e^{sin(x^2)}, derived by hand."""
    return 2 * x * np.cos(x ** 2) * np.exp(np.sin(x ** 2))


def classes(widget):
    return set(widget._dom_classes)


# --- the answer box: plain functions ------------------------------------------------

EXPECTED = "2*x*cos(x**2)*exp(sin(x**2))"


def test_expected_derivative_is_sympys():
    x = sympy.Symbol("x")
    exact = sympy.diff(sympy.exp(sympy.sin(x ** 2)), x)
    assert widgets.check_expression(answer_module.CHAIN_RULE_EXPECTED, exact).ok


def test_expression_typed_as_an_equation_is_read_from_its_right_side():
    assert widgets.check_expression("f'(x) = 2x cos(x^2) e^(sin(x^2))", EXPECTED).ok


def test_expression_with_glued_function_names_is_explained():
    v = widgets.check_expression("2xcos(x^2)e^(sin(x^2))", EXPECTED)
    assert v.status == "wrong" and "2x cos(x^2)" in v.message and "c, o, s" in v.message


@pytest.mark.parametrize("typed", ["__import__('os')", "x.func", "exec(1)", "lambda: 1",
                                   "open(1)", "input()", "preview(x)", "exit()"])
def test_expression_code_is_not_run(typed):
    v = widgets.check_expression(typed, EXPECTED)
    assert not v.ok and v.status in ("unreadable", "wrong")


def test_expression_undefined_everywhere_or_unknown_function():
    assert widgets.check_expression("1/0", "x").status == "wrong"
    assert widgets.check_expression("cos x", "cos(x)").ok       # implicit application
    v = widgets.check_expression("f(x)", "x")
    assert not v.ok and "f" in v.message
    v = widgets.check_expression("2x cos x e^(sin(x^2))", EXPECTED)  # cos x is cos(x): wrong
    assert v.status == "wrong" and "cos(x))" in v.message


def test_expression_where_sample_points_are_undefined_falls_back_to_sympy():
    # log(x^2) is defined for x < 0, 2 log(x) is not: not the same function on the reals
    assert widgets.check_expression("log(x) + log(x)", "log(x^2)").status == "wrong"
    # undefined at every sample point: sympy decides
    assert widgets.check_expression("log(x - 100) + log(x - 100)", "2 log(x - 100)").ok
    assert not widgets.check_expression("log(x - 100)", "2 log(x - 100)").ok


def test_number_verdicts():
    assert widgets.check_number("0.5", 0.5).status == "right"
    assert widgets.check_number("2cos(1) e^(sin 1)", f_prime(1.0)).ok
    assert widgets.check_number(0.5, 0.5).ok
    assert widgets.check_number("0.5004", 0.5).status == "close"
    v = widgets.check_number("0.25", 0.5, {0.25: "you halved it"})
    assert (v.status, v.message) == ("mistake", "you halved it")
    v = widgets.check_number("0.2501", 0.5, {"1/4": "you halved it"})
    assert v.status == "mistake"   # near a known mistake, far from the answer
    assert widgets.check_number("0.9", 0.5).status == "wrong"
    assert widgets.check_number("abc", 0.5).status == "unreadable"
    v = widgets.check_number("1,5", 1.5)
    assert v.status == "unreadable" and "point" in v.message
    assert widgets.check_number("", 0.5).status == "empty"


def test_vector_verdicts():
    assert widgets.check_vector("1, 2, 3", [1, 2, 3]).ok
    assert widgets.check_vector("[1 2 3]", np.array([1.0, 2.0, 3.0])).ok
    assert widgets.check_vector([1, 2, 3], [1, 2, 3]).ok
    assert widgets.check_vector("1 2; 3 4", [[1, 2], [3, 4]]).ok
    assert widgets.check_vector("1, 2.001, 3", [1, 2, 3]).status == "close"
    v = widgets.check_vector("1, 2, 4", [1, 2, 3], {(1, 2, 4): "one too many in the last"})
    assert (v.status, v.message) == ("mistake", "one too many in the last")
    v = widgets.check_vector("1 3; 2 4", [[1, 2], [3, 4]])
    assert v.status == "mistake" and "transpose" in v.message
    v = widgets.check_vector("1 2 3; 4 5 6", [[1, 4], [2, 5], [3, 6]])
    assert v.status == "mistake" and "transpose" in v.message
    v = widgets.check_vector("1, 2", [1, 2, 3])
    assert v.status == "wrong" and "shape" in v.message
    v = widgets.check_vector("1, 9, 3", [1, 2, 3])
    assert v.status == "wrong" and "1" in v.message
    assert widgets.check_vector("1, x, 3", [1, 2, 3]).status == "unreadable"
    assert widgets.check_vector(" ", [1, 2, 3]).status == "empty"


def test_check_answer_chooses_by_the_kind_of_answer():
    assert widgets.check_answer("2x", "x^2 - x^2 + 2*x").ok
    assert widgets.check_answer("3", 3).ok
    assert widgets.check_answer("3", "3").ok
    assert widgets.check_answer("1, 2", [1, 2]).ok
    assert widgets.check_answer("1, 2", [1, 3]).status == "wrong"


# --- the answer box: the widget -------------------------------------------------------


def test_answer_box_shows_an_error_instead_of_raising(monkeypatch):
    box = widgets.AnswerBox(0.5)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("the checker broke")

    monkeypatch.setattr(box, "_check", broken)
    box.text.value = "0.5"
    box.button.click()                       # must not raise
    assert "the checker broke" in box.feedback
    assert isinstance(box.error, ZeroDivisionError)
    assert box.text.value == "0.5"           # the student's text is kept


def test_widget_shows_itself_with_a_stable_text():
    box = widgets.AnswerBox([1, 2], prompt="v =")
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "[answer box: v = ____ ] [Check]"
    box.check("1, 2")
    assert box._repr_mimebundle_()["text/plain"] == box.feedback


# --- the chain-rule stepper ------------------------------------------------------------

def _table_numbers(text):
    rows = [r.split() for r in text.splitlines() if re.match(r"^\s*\d+\s", r)]
    return [[float(v) for v in r[2:]] for r in rows]


@pytest.mark.parametrize("x", [-1.7, -0.3, 0.0, 0.5, 1.2, 2.0])
def test_chain_rule_table_matches_the_hand_derivative(x):
    text = widgets.chain_rule_table(bplib.exp @ bplib.sin @ bplib.square, x)
    rows = _table_numbers(text)
    u1, u2 = x ** 2, np.sin(x ** 2)
    expect = [[x, u1, 2 * x, 2 * x],
              [u1, u2, np.cos(u1), np.cos(u1) * 2 * x],
              [u2, np.exp(u2), np.exp(u2), f_prime(x)]]
    np.testing.assert_allclose(rows, expect, atol=2e-6)
    final = float(text.splitlines()[-1].split("=")[-1])
    assert final == pytest.approx(f_prime(x), abs=2e-6)


def test_chain_rule_table_stops_where_the_stepper_is():
    f = bplib.exp @ bplib.sin @ bplib.square
    assert len(_table_numbers(widgets.chain_rule_table(f, 0.5, upto=0))) == 0
    text = widgets.chain_rule_table(f, 0.5, upto=2)
    assert len(_table_numbers(text)) == 2 and "next: stage 3, exp" in text
    assert "df/dx" not in text


def test_chain_rule_table_says_where_f_is_undefined():
    text = widgets.chain_rule_table(bplib.log @ bplib.sin, -1.0)
    assert "not defined" in text and "stage 2, log" in text
    with pytest.raises(NotationError):
        widgets.chain_rule_table(bplib.exp, float("nan"))
    with pytest.raises(NotationError, match="element-wise"):
        widgets.chain_rule_table(bplib.linear(np.eye(2)), 1.0)


def test_chain_stepper_is_driven_by_slider_and_step():
    s = widgets.ChainStepper()
    assert "bplib-chain-stepper" in classes(s.box)
    assert s.step_button.description == "Step"
    s.slider.value = 1.3
    first = s.image.value
    assert "next: stage 1" in s.feedback
    for stage in range(3):
        s.step_button.click()
        assert len(_table_numbers(s.feedback)) == stage + 1
    assert float(s.feedback.splitlines()[-1].split("=")[-1]) == pytest.approx(f_prime(1.3), abs=2e-6)
    s.slider.value = -0.4                     # the steps shown stay, the numbers follow x
    assert float(s.feedback.splitlines()[-1].split("=")[-1]) == pytest.approx(f_prime(-0.4), abs=2e-6)
    assert s.image.value != first
    s.reset_button.click()
    assert len(_table_numbers(s.feedback)) == 0


def test_chain_stepper_on_any_chain_and_errors_inside(monkeypatch):
    s = widgets.ChainStepper(bplib.log @ bplib.sin, x=1.0, plot=False)
    s.all_button.click()
    assert float(s.feedback.splitlines()[-1].split("=")[-1]) == pytest.approx(np.cos(1) / np.sin(1), abs=2e-6)
    s.slider.value = -1.0
    assert "not defined" in s.feedback

    def broken(*args, **kwargs):
        raise RuntimeError("no table today")

    monkeypatch.setattr("bplib.widgets.stepper.chain_rule_table", broken)
    s.slider.value = 0.5                      # must not raise
    assert "no table today" in s.feedback


# --- the network explorer ---------------------------------------------------------------

def _sigmoid(s):
    return 1 / (1 + np.exp(-s))


def _report_value(text, symbol):
    if symbol.startswith("s^"):   # the sum is written out; its value is the last "= number"
        line = [r for r in text.splitlines() if re.fullmatch(r"\s+= -?\d+\.\d+", r)][-1]
    else:
        line = [r for r in text.splitlines() if r.startswith(symbol + " =")][0]
    return float(line.split("=")[-1].split()[0].rstrip(":"))


def test_neuron_report_matches_W_x_plus_b_by_hand():
    net = bplib.MLP([3, 4, 2], seed=3)
    net.b[1] = np.array([0.1, -0.2, 0.3, 0.05])
    net.b[2] = np.array([-0.1, 0.4])
    x = np.array([0.5, -1.0, 2.0])
    s1 = net.W[1] @ x + net.b[1]
    x1 = _sigmoid(s1)
    s2 = net.W[2] @ x1 + net.b[2]
    for j, k in itertools.product(range(4), range(3)):
        text = widgets.neuron_report(net, x, 1, j, k)
        assert _report_value(text, f"s^1_{j}") == pytest.approx(s1[j], abs=1e-4)
        assert _report_value(text, f"x^1_{j}") == pytest.approx(x1[j], abs=1e-4)
        assert _report_value(text, f"w^1_{j}{k}") == pytest.approx(net.W[1][j, k], abs=1e-4)
        assert _report_value(text, f"b^1_{j}") == pytest.approx(net.b[1][j], abs=1e-4)
    text = widgets.neuron_report(net, x, 2, 1, 3)
    assert _report_value(text, "s^2_1") == pytest.approx(s2[1], abs=1e-4)
    assert _report_value(text, "x^2_1") == pytest.approx(_sigmoid(s2[1]), abs=1e-4)


def test_neuron_report_refuses_what_the_lecture_does_not_have():
    net = bplib.MLP([2, 3, 2], seed=0)
    with pytest.raises(NotationError, match="layer 0 is the input"):
        widgets.neuron_report(net, [0, 0], 0, 0, 0)
    with pytest.raises(NotationError, match="j = 0..2"):
        widgets.neuron_report(net, [0, 0], 1, 3, 0)
    with pytest.raises(NotationError, match="k = 0..1"):
        widgets.neuron_report(net, [0, 0], 1, 0, 2)
    with pytest.raises(NotationError, match=r"\(d_0,\)"):
        widgets.neuron_report(net, [0, 0, 0], 1, 0, 0)


def test_network_explorer_is_driven_by_its_sliders():
    net = bplib.MLP([2, 3, 2], seed=0)
    e = widgets.NetworkExplorer(net)
    assert "bplib-network-explorer" in classes(e.box)
    e.inputs[0].value, e.inputs[1].value = 1.0, -0.5
    x = np.array([1.0, -0.5])
    assert _report_value(e.feedback, "s^1_0") == pytest.approx((net.W[1] @ x + net.b[1])[0], abs=1e-4)
    picture = e.image.value
    e.l.value = 2
    assert (e.j.max, e.k.max) == (1, 2)
    e.j.value, e.k.value = 1, 2
    assert e.image.value != picture            # a different weight is highlighted
    s2 = net.W[2] @ _sigmoid(net.W[1] @ x + net.b[1]) + net.b[2]
    assert _report_value(e.feedback, "s^2_1") == pytest.approx(s2[1], abs=1e-4)
    assert e.feedback == widgets.neuron_report(net, x, 2, 1, 2)
    e.l.value = 1                              # k = 2 does not exist in layer 0: it is clamped
    assert e.k.value <= 1 and "layer l = 1" in e.feedback


def test_network_explorer_shows_an_error_instead_of_raising():
    e = widgets.NetworkExplorer(bplib.MLP([2, 3, 2], seed=0), plot=False)
    e.net = bplib.MLP([3, 3, 2], seed=0)       # the sliders no longer fit the network
    e.inputs[0].value = 0.9                    # must not raise
    assert "x^(0) must have shape (3,)" in e.feedback


# --- the Jacobian-chain explorer ----------------------------------------------------------

def _brute_force_best(n):
    """The cheapest parenthesisation, by trying them all."""
    def best(i, j):   # J_j ... J_i, shape (n_j, n_{i-1})
        if i == j:
            return 0
        return min(best(i, k) + best(k + 1, j) + n[j] * n[k] * n[i - 1] for k in range(i, j))
    return best(1, len(n) - 1)


@pytest.mark.parametrize("sizes", [[784, 100, 10, 1], [1, 10, 100, 1000], [5, 3],
                                   [4, 4, 4, 4, 4], [3, 7, 2, 9, 1, 6]])
def test_jacobian_costs_against_the_formula(sizes):
    c = widgets.jacobian_chain_costs(sizes)
    n, N = sizes, len(sizes) - 1
    assert c.shapes == [(n[i], n[i - 1]) for i in range(1, N + 1)]
    assert c.left == sum(n[N] * n[i] * n[i - 1] for i in range(1, N))
    assert c.right == sum(n[i] * n[i - 1] * n[0] for i in range(2, N + 1))
    assert c.best == _brute_force_best(n) <= min(c.left, c.right)


def test_jacobian_costs_count_what_numpy_multiplies():
    rng = np.random.default_rng(0)
    sizes = [6, 5, 4, 1]
    Js = [rng.normal(size=(sizes[i], sizes[i - 1])) for i in range(1, len(sizes))]
    count = 0
    P = Js[-1]
    for J in reversed(Js[:-1]):
        count += P.shape[0] * P.shape[1] * J.shape[1]
        P = P @ J
    assert widgets.jacobian_chain_costs(sizes).left == count
    np.testing.assert_allclose(P, Js[2] @ Js[1] @ Js[0])


def test_jacobian_costs_text_and_bad_sizes():
    text = str(widgets.jacobian_chain_costs("784, 100, 10, 1"))
    assert "vector-Jacobian product" in text and "J_f1: (100, 784)" in text
    assert "from the left is" in text
    for bad in ("4, x", "7", [3, 0, 2], [2.5, 3], []):
        with pytest.raises(NotationError):
            widgets.jacobian_chain_costs(bad)


def test_jacobian_explorer_is_driven_by_its_text():
    e = widgets.JacobianExplorer("3, 4, 1")
    assert "bplib-jacobian-explorer" in classes(e.box)
    assert e.costs.left == 12 and "J_f2: (1, 4)" in e.feedback
    e.text.value = "2, 5, 5, 1"
    assert e.costs.sizes == [2, 5, 5, 1] and f"{e.costs.left:,} multiply-adds" in e.feedback
    e.text.value = "2, five, 1"                # must not raise
    assert e.feedback.startswith("could not read '2, five, 1' as sizes")
    assert e.costs.sizes == [2, 5, 5, 1]       # the last readable chain is kept
    e.examples.value = "1, 10, 100, 1000"
    assert e.text.value == "1, 10, 100, 1000" and "from the right is" in e.feedback


# --- the gradient-descent playground --------------------------------------------------------

@pytest.mark.parametrize("make, loss, d_L, sigma, lr", [
    (lambda: bplib.data.moons(n=100, seed=0), "quadratic", 1, "sigmoid", 0.05),
    (bplib.data.xor, "quadratic", 1, "sigmoid", 1.0),
    (lambda: bplib.data.moons(n=100, seed=1), "cross_entropy", 2, "softmax", 0.02),
])
def test_playground_step_lowers_the_loss(make, loss, d_L, sigma, lr):
    X, y = make()
    net = bplib.MLP([2, 4, d_L], output_sigma=sigma, seed=0)
    history = []
    p0 = widgets.playground_step(net, X, y, loss, lr, 0, history)
    assert len(history) == 1 and p0.steps == 0
    p = widgets.playground_step(net, X, y, loss, lr, 200, history)
    assert len(history) == 201 and p.steps == 200
    assert history[-1] < 0.8 * history[0]
    assert np.all(np.diff(history) < 1e-9)     # small enough a rate: it never goes up
    assert f"step 200: L = sum_n l_n = {history[-1]:.4f}" in str(p)


def test_playground_history_is_the_loss_of_the_network():
    X, y = bplib.data.xor()
    net = bplib.MLP([2, 4, 1], seed=0)
    history = []
    for _ in range(3):
        widgets.playground_step(net, X, y, "quadratic", 0.5, 7, history)
        assert history[-1] == pytest.approx(bplib.quadratic(net(X), y[:, None].astype(float)))
    assert len(history) == 22


def test_playground_is_deterministic_and_driven_by_its_buttons():
    a, b = widgets.Playground(), widgets.Playground()
    assert "bplib-playground" in classes(a.box)
    assert a.step_button.description == "Step"
    a.steps_per_press.value = 5
    a.step_button.click()
    a.step_button.click()
    assert len(a.history) == 11 and a.feedback.startswith("step 10:")
    assert a.history[-1] < a.history[0]
    b.steps_per_press.value = 5
    picture = b.image.value
    b.play.value = 1                           # a tick of the Play control is one press
    b.play.value = 2
    assert b.history == a.history and b.feedback == a.feedback
    assert b.image.value != picture
    b.play.value = 0                           # the stop button rewinds: no step
    assert b.history == a.history
    first = a.history[0]
    a.reset_button.click()
    assert a.history == [first]
    shown = re.search(r"L = sum_n l_n = (\S+) ", a.feedback).group(1)
    a.step_button.click()                      # "before these steps" is the L shown before
    assert f"(before these 5 steps: {shown})" in a.feedback


def test_playground_controls_and_errors_inside():
    p = widgets.Playground(dataset="xor", plot=False)
    p.output.value = "softmax, cross-entropy loss"
    assert p.net.sizes == (2, 4, 2) and len(p.history) == 1
    p.hidden.value = 6
    assert p.net.sizes == (2, 6, 2)
    p.X = np.zeros((4, 3))                     # data that does not fit the network
    p.step_button.click()                      # must not raise
    assert "x^(0) must have shape" in p.feedback
    with pytest.raises(NotationError):
        widgets.Playground(dataset="mnist")
    with pytest.raises(NotationError):
        widgets.playground_step(p.net, p.X, p.y, steps=-1)


# --- every student can use them: names, text alternatives, pixel density ----------------

WORD = re.compile(r"[A-Za-z]{3,}")


# One of each widget, as the notebooks make them.
MAKE = {"answer box (expression)": lambda: widgets.chain_rule_answer(),
        "answer box (number)": lambda: widgets.chain_rule_answer(at=1.0),
        "answer box (vector)": lambda: widgets.AnswerBox([1, 2], prompt="v ="),
        "chain stepper": lambda: widgets.ChainStepper(bplib.exp @ bplib.sin @ bplib.square),
        "network explorer": lambda: widgets.NetworkExplorer(bplib.MLP([3, 5, 2], seed=1)),
        "jacobian explorer": lambda: widgets.JacobianExplorer("64, 32, 10, 1"),
        "playground": lambda: widgets.Playground()}


@pytest.mark.parametrize("kind", list(MAKE))
def test_every_control_has_a_name_in_words_and_symbol(kind):
    widget = MAKE[kind]()
    controls = widget.controls()
    assert controls, kind
    names = [widget.accessible_name(c) for c in controls]
    for control, name in zip(controls, names):
        assert name and WORD.search(name), f"{kind}: {control!r} has the name {name!r}"
        symbol = getattr(control, "description", "").strip(" :=")
        if symbol and not isinstance(control, (widgets._base.w.Button, widgets._base.w.Play)):
            # the symbol the widget shows is part of the name: "learning rate lr"
            assert symbol in name or symbol.replace("/", " per ") in name, (symbol, name)
    assert len(set(names)) == len(names), f"{kind}: two controls share a name: {names}"
    # the names reach the browser: each control carries the CSS class they are kept under
    sent = widget.feedback_area.controls
    for control, name in zip(controls, names):
        mine = [c for c in control._dom_classes if c in sent]
        assert len(mine) == 1 and sent[mine[0]]["name"] == name, (control, sent)


def test_names_say_what_the_symbols_mean():
    p = widgets.Playground(plot=False)
    assert p.accessible_name(p.lr) == "learning rate lr"
    assert p.accessible_name(p.hidden) == "hidden neurons d_1"
    assert "play" in p.accessible_name(p.play) or "gradient descent" in p.accessible_name(p.play)
    box = widgets.chain_rule_answer()
    assert box.accessible_name(box.text) == "your answer for df/dx"
    e = widgets.NetworkExplorer()
    assert [e.accessible_name(s) for s in e.inputs] == ["input x^0_0", "input x^0_1"]
    assert all(n.description for n in e.names)   # a symbol alone never stands without meaning


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", text)]


@pytest.mark.parametrize("kind", ["chain stepper", "network explorer", "playground"])
def test_every_picture_has_a_text_alternative_in_numbers(kind):
    widget = MAKE[kind]()
    (picture,) = widget.pictures()
    assert picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert WORD.search(picture.alt) and numbers(picture.alt), picture.alt


def test_stepper_picture_text_follows_the_figure():
    s = widgets.ChainStepper()
    s.slider.value = 1.3
    x, d = 1.3, f_prime(1.3)
    assert f"tangent at x = {x:.2f}" in s.image.alt
    assert f"slope df/dx = {d:.3f}" in s.image.alt
    assert f"f(x) = {np.exp(np.sin(x ** 2)):.3f}" in s.image.alt
    s2 = widgets.ChainStepper(bplib.log @ bplib.square, x=0.5)
    s2.slider.value = 0.0
    assert "not defined at x = 0.00" in s2.image.alt


def test_network_picture_text_names_the_highlighted_weight():
    net = bplib.MLP([3, 4, 2], seed=2)
    e = widgets.NetworkExplorer(net)
    e.l.value = 2
    e.j.value, e.k.value = 1, 3
    assert f"w^2_13 = {net.W[2][1, 3]:.2f}" in e.image.alt
    assert "3, 4, 2 neurons" in e.image.alt


def test_playground_loss_plot_at_step_0_says_so_then_gives_the_curve_in_numbers():
    p = widgets.Playground()
    texts = [t.get_text() for t in p.ax_loss.texts]
    assert any("No step yet" in t for t in texts), texts
    lo, hi = p.ax_loss.get_ylim()
    assert lo == 0 and hi > p.history[0]        # not a sliver around one point
    assert p.image.alt.startswith(f"loss curve: no step yet, L = {p.history[0]:.4g}")
    p.steps_per_press.value = 7
    p.step_button.click()
    assert not any("No step yet" in t.get_text() for t in p.ax_loss.texts)
    h = p.history
    assert p.image.alt.startswith(
        f"loss curve: 7 steps, L = sum_n l_n from {h[0]:.4g} to {h[-1]:.4g}")
    assert f"{100 * p.progress.accuracy:.1f} % classified right" in p.image.alt
    assert p.ax_loss.get_xlim()[1] == pytest.approx(7, abs=1)   # autoscaled again


def png_size(data):
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("kind", ["chain stepper", "network explorer", "playground"])
def test_pictures_are_drawn_at_the_screens_density_and_the_shown_width(kind):
    widget = MAKE[kind]()
    (picture,) = widget.pictures()
    width, _ = png_size(picture.value)
    assert width == pytest.approx(picture.width, abs=2)      # 1 pixel per CSS pixel at first
    picture.scale = 2.0                                      # what a high-density screen says
    assert png_size(picture.value)[0] == pytest.approx(2 * picture.width, abs=2)
    alt = picture.alt
    picture.shown = picture.width / 2                        # a narrow cell shows it half size
    assert png_size(picture.value)[0] == pytest.approx(picture.width, abs=2)
    assert picture.alt == alt                                # the same picture, sharper


# --- a second cue beside colour, at a readable size --------------------------------------

PX_PER_PT = widgets._front.BASE_DPI / 72   # at a screen density of 1


def test_stepper_tells_the_tangent_from_the_curve_by_line_style():
    s = widgets.ChainStepper()
    curve, tangent = s.fig.axes[0].lines[:2]
    assert curve.get_linestyle() == "-" and tangent.get_linestyle() == "--"
    legend = [t.get_text() for t in s.fig.axes[0].get_legend().get_texts()]
    assert "(solid)" in legend[0] and "(dashed)" in legend[1]
    assert min(t.get_fontsize() for t in s.fig.axes[0].get_legend().get_texts()) * PX_PER_PT >= 11
    assert "(solid line); dashed tangent at x" in s.image.alt


def test_playground_draws_each_class_with_its_own_marker():
    p = widgets.Playground()
    dots = [c for c in p.ax_regions.collections if c.get_label().startswith("class")]
    assert [c.get_label() for c in dots] == ["class 0 (circles)", "class 1 (triangles)"]
    assert dots[0].get_paths()[0].vertices.shape != dots[1].get_paths()[0].vertices.shape
    assert "class 0 as circles, class 1 as triangles" in p.image.alt
    p.step(3)                                  # redrawn: still one scatter per class
    assert len([c for c in p.ax_regions.collections if c.get_label().startswith("class")]) == 2


def test_network_explorer_draws_negative_weights_dashed_with_readable_labels():
    net = bplib.MLP([3, 4, 2], seed=2)
    e = widgets.NetworkExplorer(net)
    ax = e.ax
    signs = [np.sign(net.W[l][j, k]) for l in (1, 2) for j in range(net.sizes[l])
             for k in range(net.sizes[l - 1])]
    styles = [line.get_linestyle() for line in ax.lines]
    chosen = [i for i, line in enumerate(ax.lines) if line.get_color() == "orange"]
    assert [st for i, st in enumerate(styles) if i not in chosen] == [
        "--" if s < 0 else "-" for i, s in enumerate(signs) if i not in chosen]
    assert min(t.get_fontsize() for t in ax.texts) * PX_PER_PT >= 11
    assert "solid blue if positive, dashed red if negative" in e.image.alt
