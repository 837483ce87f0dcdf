"""Grading on varied inputs: an answer right only for one size scores below full marks.

The hidden tests draw their sizes at random within bounds that always hold the
cases the notebooks' examples leave out: in notebook 07, m (the outputs of
sin(A x + b)) and N (the functions of a chain) are never 3, the value both
examples use; in notebook 04, the networks have L >= 3 layers that widen and
narrow, with activations other than tanh and sigmoid. An answer written for
m = 3, N = 3, L = 2 or one network's activations passes on the examples;
graded with ``bplib grade``, it loses that exercise's points (and a usual
mistake is named in the gradebook), while the worked answers keep every point.
"""
import json

import pytest
from test_grading_evidence import _answers, _rows, _solution, grade_real

from bpinstructor.grading import sandbox

HARD_CODED = ("def forward(net, x):\n"
              "    for l in range(1, net.L + 1):\n"
              "        s = net.W[l] @ x + net.b[l]\n"
              "        x = 1 / (1 + np.exp(-s)) if l == net.L else np.tanh(s)\n"
              "    return x")
ONLY_L2 = ("def forward(net, x):\n"
           "    x1 = net.activation(1)(net.W[1] @ x + net.b[1])\n"
           "    return net.activation(2)(net.W[2] @ x1 + net.b[2])")
ONLY_M3 = ("def jacobian_sin_linear(A, b, x):\n"
           "    s = A @ x + b\n"
           "    return (np.eye(3) * np.cos(s)) @ A")
ONLY_N3 = ("def gradient_from_left(jacobians, dl_dxN):\n"
           "    return dl_dxN @ jacobians[2] @ jacobians[1] @ jacobians[0]")
# student -> (notebook, answers put into the worked submission, the test cell that loses its
# points, the usual mistake the gradebook names there)
CASES = {
    "worked_04": ("04_forward_pass.ipynb", {}, None, None),
    "hard_coded_04": ("04_forward_pass.ipynb", {"nb04_forward": HARD_CODED}, "nb04_forward_test",
                      "nb04.forward.hard_coded_tanh_sigmoid"),
    "only_l2_04": ("04_forward_pass.ipynb", {"nb04_forward": ONLY_L2}, "nb04_forward_test", None),
    "worked_07": ("07_jacobian_chain.ipynb", {}, None, None),
    "only_m3_07": ("07_jacobian_chain.ipynb", {"nb07_sin_linear": ONLY_M3}, "nb07_sin_linear_test",
                   None),
    "only_n3_07": ("07_jacobian_chain.ipynb", {"nb07_from_left": ONLY_N3}, "nb07_from_left_test",
                   None),
}


@pytest.mark.slow
def test_answers_right_for_one_size_only_score_below_full_marks(tmp_path, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    worked = {name: _answers(_solution(name)) for name, *_ in CASES.values()}
    db = grade_real(tmp_path, {student: (name, {**worked[name], **answers})
                               for student, (name, answers, _, _) in CASES.items()})
    for student, (name, _, losing, mistake) in CASES.items():
        found = _rows(db, "SELECT grade_id, score, max_score, message, mistakes FROM cells "
                          "WHERE student = ? AND notebook = ?", student, name)
        assert losing is None or losing in {g for g, *_ in found}, (student, found)
        for gid, score, max_score, message, named in found:
            if gid == losing:
                assert max_score > 0 and score < max_score, (student, gid, score, message)
                if mistake:
                    assert mistake in json.loads(named), (student, named)
            else:
                assert score == max_score, (student, gid, score, message)
        if losing is None:
            [(score, max_score)] = _rows(
                db, "SELECT score, max_score FROM notebooks WHERE student = ? AND notebook = ?",
                student, name)
            assert score == max_score > 0, student
