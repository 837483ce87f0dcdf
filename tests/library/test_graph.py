"""The scalar computational graph: values forward, sums over paths backward, checker, drawing.

References: the chain rule written out by hand for each graph, and central
finite differences of the graph rebuilt at shifted inputs.
"""
import math

import matplotlib.pyplot as plt
import pytest

from bplib import NotationError
from bplib.graph import (Value, check_gradients, draw, edges, gradients, nodes, sigma, square,
                         table)


def sig(a):
    return 1 / (1 + math.exp(-a))


def build(xv=1.5, yv=-2.0):
    """l = (sigma(x y) + (x + y))^2: x and y each feed two nodes."""
    x, y = Value(xv, "x"), Value(yv, "y")
    a = (x * y).named("a")
    b = (x + y).named("b")
    h = sigma(a).named("h")
    c = (h + b).named("c")
    return square(c).named("l"), dict(x=x, y=y, a=a, b=b, h=h, c=c)


def by_hand(xv=1.5, yv=-2.0):
    a, b = xv * yv, xv + yv
    h = sig(a)
    c = h + b
    dl_dc = 2 * c
    dl_dh = dl_dc
    dl_db = dl_dc
    dl_da = dl_dh * h * (1 - h)
    return dict(l=1.0, c=dl_dc, h=dl_dh, b=dl_db, a=dl_da,
                x=dl_da * yv + dl_db * 1, y=dl_da * xv + dl_db * 1)


def test_forward_values_and_backward_gradients_match_the_chain_rule_by_hand():
    l, n = build()
    assert n["a"].data == -3.0 and n["b"].data == -0.5
    assert n["h"].data == pytest.approx(sig(-3.0), rel=1e-15)
    assert l.data == pytest.approx((sig(-3.0) - 0.5) ** 2, rel=1e-15)
    l.backward()
    expected = by_hand()
    for name, node in dict(n, l=l).items():
        assert node.grad == pytest.approx(expected[name], rel=1e-14), name


@pytest.mark.parametrize("which", ["x", "y"])
def test_gradients_of_the_inputs_match_finite_differences(which):
    l, n = build()
    l.backward()
    h = 1e-6
    args = {"xv": 1.5, "yv": -2.0}
    up, down = dict(args), dict(args)
    up[which[0] + "v"] += h
    down[which[0] + "v"] -= h
    numeric = (build(**up)[0].data - build(**down)[0].data) / (2 * h)
    assert n[which].grad == pytest.approx(numeric, rel=1e-8)


def test_a_value_used_twice_by_one_node_gets_both_edges():
    x = Value(3.0, "x")
    p = (x * x).named("p")
    q = (p + x).named("q")  # q = x^2 + x: dq/dx = 2x + 1 = 7
    q.backward()
    assert x.grad == 7.0
    assert sum(1 for e in edges(q) if e.source is x) == 3


def test_gradients_by_name():
    l, _ = build()
    got = gradients(l)
    assert list(got) == [v.name for v in nodes(l)]
    assert got == pytest.approx(by_hand(), rel=1e-14)


def test_backward_twice_gives_the_same_numbers():
    l, n = build()
    l.backward()
    first = {v.name: v.grad for v in nodes(l)}
    l.backward()
    assert {v.name: v.grad for v in nodes(l)} == first


def test_nodes_come_inputs_first_and_unnamed_ones_get_names():
    x = Value(2.0, "x")
    out = square(sigma(x * 3) + 1)
    order = nodes(out)
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        assert all(position[id(u)] < position[id(v)] for u in v.inputs)
    names = [v.name for v in order]
    assert len(set(names)) == len(names) and "x" in names and "v1" in names


def test_edges_carry_the_local_derivatives():
    l, n = build()
    local = {(e.source.name, e.target.name): e.local for e in edges(l)}
    assert local[("x", "a")] == -2.0 and local[("y", "a")] == 1.5      # the other factor
    assert local[("x", "b")] == 1.0 and local[("b", "c")] == 1.0       # a sum
    assert local[("a", "h")] == pytest.approx(sig(-3) * (1 - sig(-3)))  # sigma (1 - sigma)
    assert local[("c", "l")] == pytest.approx(2 * n["c"].data)          # 2c
    text = table(l)
    assert "da/dx = y = -2" in text and "dh/da = sigma(a) (1 - sigma(a))" in text
    assert f"dl/dx = {by_hand()['x']:.6g}" in text


def test_two_nodes_with_one_name_are_refused():
    x, y = Value(1.0, "x"), Value(2.0, "x")
    with pytest.raises(NotationError, match="two nodes are called 'x'"):
        nodes(x + y)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1", None, True])
def test_a_node_value_must_be_a_finite_number(bad):
    with pytest.raises(NotationError, match="finite real number"):
        Value(bad, "x")


# --- the checker ------------------------------------------------------------------------

def right_answers():
    return {k: v for k, v in by_hand().items()}


def test_the_right_gradients_pass():
    l, _ = build()
    verdict = check_gradients(l, right_answers())
    assert verdict.ok and bool(verdict) and "Right" in str(verdict)


def test_one_path_only_names_the_fan_out():
    l, n = build()
    typed = right_answers()
    typed["x"] = typed["a"] * -2.0  # only the path through a
    verdict = check_gradients(l, typed)
    assert not verdict.ok and list(verdict.messages) == ["x"]
    message = verdict.messages["x"]
    assert "x feeds 2 edges (into a and b)" in message and "sum over all the paths" in message
    assert "only the path through a" in message
    assert [(e.source.name, e.target.name) for e in verdict.wrong_edges] == [("x", "b")]


def test_a_missing_sigma_prime_names_that_edge():
    l, _ = build()
    typed = right_answers()
    typed["a"] = typed["h"]  # dl/dh times 1 instead of times sigma'(a)
    verdict = check_gradients(l, typed)
    assert "the edge a -> h (h = sigma(a))" in verdict.messages["a"]
    assert "missing" in verdict.messages["a"]
    assert [(e.source.name, e.target.name) for e in verdict.wrong_edges] == [("a", "h")]


def test_sigma_instead_of_sigma_prime_is_named():
    l, n = build()
    typed = right_answers()
    typed["a"] = typed["h"] * n["h"].data
    assert "not sigma(a) itself" in check_gradients(l, typed).messages["a"]


def test_square_without_the_factor_2_is_named():
    l, n = build()
    typed = right_answers()
    typed["c"] = n["c"].data
    assert "the factor 2 is missing" in check_gradients(l, typed).messages["c"]


def test_the_factor_itself_instead_of_the_other_one_is_named():
    l, n = build()
    typed = right_answers()
    typed["x"] = typed["a"] * 1.5 + typed["b"]  # da/dx taken as x, not y
    message = check_gradients(l, typed).messages["x"]
    assert "the edge x -> a (a = x * y)" in message and "the other factor, y" in message


def test_a_mistake_is_named_once_where_it_is_made():
    """dl/dc wrong: dl/dh and dl/db follow from it correctly and are told so, not re-judged."""
    l, n = build()
    typed = right_answers()
    typed["c"] = 2.0  # d(c^2)/dc = 2c, not 2
    for name in ("h", "b"):
        typed[name] = 2.0
    typed["a"] = 2.0 * n["h"].data * (1 - n["h"].data)
    verdict = check_gradients(l, typed)
    assert "2 c, not 2" in verdict.messages["c"]
    assert verdict.messages["h"] == "follows from your dl/dc, which is not right: fix that first"
    assert "follows from your dl/dh" in verdict.messages["a"]


def test_a_sign_error_and_an_unexplained_error():
    l, _ = build()
    typed = right_answers()
    typed["b"] = -typed["b"]
    typed["y"] = 123.0
    verdict = check_gradients(l, typed)
    assert "the sign is wrong" in verdict.messages["b"]
    assert verdict.messages["y"].startswith("not right: dl/dy = dl/da da/dy + dl/db db/dy")


def test_the_output_gradient_is_one():
    l, _ = build()
    assert "starts from 1" in check_gradients(l, {"l": 0.0}).messages["l"]


def test_nodes_left_out_are_not_judged_and_bad_input_is_explained():
    l, _ = build()
    assert check_gradients(l, {"x": by_hand()["x"]}).ok
    with pytest.raises(NotationError, match="has no node 'z'; its nodes are x, y"):
        check_gradients(l, {"z": 1.0})
    with pytest.raises(NotationError, match="dl/dx must be a number"):
        check_gradients(l, {"x": "abc"})
    with pytest.raises(NotationError, match=r"dict \{node name: dl/d\(node\)\}"):
        check_gradients(l, [1.0])


# --- the drawing ---------------------------------------------------------------------------

def test_the_drawing_shows_values_forward_and_gradients_backward():
    l, n = build()
    ax = draw(l)
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("h = sigma(a)") and f"{n['h'].data:.4g}" in t for t in texts)
    for name, g in by_hand().items():
        assert f"dl/d{name} = {g:.4g}" in texts
    assert f"{-2.0:.3g}" in texts  # the local derivative on the edge x -> a
    assert sum(1 for c in ax.get_children() if type(c).__name__ == "Annotation"
               and c.arrow_patch is not None) == len(edges(l))
    plt.close(ax.figure)


def test_the_drawing_without_gradients_shows_none():
    l, _ = build()
    _, ax = plt.subplots()
    assert draw(l, ax=ax, gradients=False) is ax
    assert not any(t.get_text().startswith("dl/d") for t in ax.texts)
