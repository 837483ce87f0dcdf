"""The checks' watch cannot be switched off or left behind: a profiler switched
off and on again is seen as it happens, and an answer that starts a thread or
a process is refused (its calls would run where the watch does not look)."""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from solution_cells import solution_functions

import bplib
from bpcourse import nb03, nb08
from bpcourse.method import Delegated, MethodError, Rules, run
from bpcourse.report import watch


@pytest.fixture
def case():
    net = bplib.MLP([3, 5, 4, 2], sigma="tanh", seed=3)
    trace = net.forward(np.linspace(-1, 1, 3))
    return net, trace, np.array([0.5, -1.0])


def in_a_thread(net, trace, dl_dxL):
    box = []
    t = threading.Thread(target=lambda: box.append(net.backward(trace, dl_dxL)))
    t.start()
    t.join()
    return box[0]


def in_a_pool(net, trace, dl_dxL):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(net.backward, trace, dl_dxL).result()


def switched_off_and_on(net, trace, dl_dxL):
    old = sys.getprofile()
    sys.setprofile(None)
    grads = net.backward(trace, dl_dxL)
    sys.setprofile(old)
    return grads


def threads_switched_off(net, trace, dl_dxL):
    threading.setprofile(None)
    return {}


@pytest.mark.parametrize("answer, said", [
    (in_a_thread, "a thread or process"), (in_a_pool, "a thread or process"),
    (switched_off_and_on, "sys.setprofile"), (threads_switched_off, "sys.setprofile")])
def test_an_answer_that_escapes_the_watch_is_refused(case, answer, said):
    before = sys.getprofile()
    with pytest.raises(Delegated) as e:
        run(answer, *case, rules=nb08.RULES)
    assert any(said in name for name in e.value.names), e.value.names
    assert "in grading it scores 0" in str(e.value)
    assert sys.getprofile() is before


def test_the_hidden_tests_watch_sees_a_profiler_switched_off_and_on(case):
    w = watch(nb08.RULES, switched_off_and_on)
    with w:
        switched_off_and_on(*case)
    assert any("sys.setprofile" in name for name in w.tracer.called)


def test_honest_answers_and_the_watchs_own_switch_are_not_refused(case):
    honest = solution_functions()["backward"]
    got = run(honest, *case, rules=nb08.RULES).value
    want = case[0]._backward(case[1], case[2], case[2])   # from dl/ds^(L) = case[2]
    assert all(np.allclose(got.W[l], want.W[l]) for l in want.W)
    w = watch(nb08.RULES, honest)
    with w:
        honest(*case)
    assert w.tracer.called == []


def layer_by_layer(W, x):
    """A forbidden function long enough that a copy of it is not a coincidence."""
    for l in range(len(W)):
        x = np.tanh(W[l] @ x)
        x = x / (1.0 + np.abs(x).sum())
    return x


def _copied(how):
    namespace = {"np": np}
    if how == "exec of its source":
        import inspect
        exec(inspect.getsource(layer_by_layer).replace("layer_by_layer", "mine"), namespace)
        return namespace["mine"]
    code = layer_by_layer.__code__.replace(co_name="mine", co_firstlineno=1,
                                           co_varnames=("Ws", "v", "j"))
    return type(layer_by_layer)(code, namespace)


@pytest.mark.parametrize("how", ["exec of its source", "code.replace"])
def test_a_forbidden_body_copied_into_new_code_is_refused(how):
    rules = Rules("the layers, written yourself", {"the layers of the check": layer_by_layer})
    copy = _copied(how)
    W, x = [np.eye(2), np.ones((2, 2))], np.array([0.5, -1.0])
    assert copy.__code__ != layer_by_layer.__code__   # not the same code object, nor equal
    with pytest.raises(Delegated) as e:
        run(copy, W, x, rules=rules)
    assert e.value.names == ("a copy of the layers of the check",)


def test_a_short_line_written_alike_is_not_taken_for_a_copy():
    def reference_line(x):
        return x * (1 - x)

    def answer(v):
        return v * (1 - v)

    rules = Rules("sigma' from x, written yourself", {"the check's line": reference_line})
    assert run(answer, np.array([0.25]), rules=rules).value == pytest.approx(0.1875)


def test_an_answer_replaying_the_checks_fixed_points_is_refused():
    """A graph answer that returns the widget's numbers at its two points, and works out nothing."""
    from bpcourse import nb06

    table = {}
    for x, w in ((1.5, -0.8), (-0.7, 1.3)):
        root = nb06.graph_at(x, w)
        root.backward()
        table[x, w] = {n.name: n.grad for n in bplib.graph.nodes(root) if n.name}

    def replay(x, w):
        return table.get((x, w), dict.fromkeys("pvuwx", 0.0))

    with pytest.raises(AssertionError, match="at x = "):
        nb06.test_graph_gradients(replay)
    assert set(table[1.5, -0.8]) >= set("pvuwx")   # the replayed points hold every node


def neuron_from_lists(W, b, x_prev, j, sigma):
    row, xs = W.tolist()[j], x_prev.tolist()
    s_j = b[j]
    for k in range(len(xs)):
        s_j += row[k] * xs[k]
    return float(sigma(s_j))


def test_an_input_turned_into_a_list_is_named():
    # .tolist() hands the answer numbers the check no longer sees being read
    with pytest.raises(MethodError, match=r"plain copy \(\.tolist\(\)\)"):
        nb03.test_neuron(neuron_from_lists)


def test_no_garbage_collection_runs_inside_the_watch():
    # a collection's finalizers would run inside the answer's frame, at a moment set by timing
    import gc

    assert gc.isenabled()
    assert run(lambda: gc.isenabled()).value is False
    with watch(nb08.RULES, lambda: None):
        assert not gc.isenabled()
    assert gc.isenabled()
