"""Widget exercises: move something, see the numbers of backpropagation change.

Each widget is a thin view over a plain function that returns the same
verdict or numbers as text, so a notebook test can compare the text and a
unit test can call the function directly:

=====================  ==========================  =========================
widget                 plain function              shows
=====================  ==========================  =========================
AnswerBox              check_answer (number,       right / close / a named
                       vector, expression)         mistake / unreadable
chain_rule_answer()    check_expression            the e^{sin(x^2)} exercise
ChainStepper           chain_rule_table            each stage of the chain rule
NetworkExplorer        neuron_report               w^l_jk, b^l_j, s^l_j, x^l_j
JacobianExplorer       jacobian_chain_costs        shapes and multiply-adds
Playground             playground_step             gradient descent, live
GraphExercise          graph_feedback              gradients typed on a graph,
                                                   the wrong edge named
=====================  ==========================  =========================

Widgets display themselves: ``bplib.widgets.ChainStepper()`` as the last
line of a cell is enough. Their ``.feedback`` is the text they show, in a live
region a screen reader announces; each control has a name in words and symbol
(``.accessible_name(control)``), each picture a text alternative in numbers
(``.pictures()[0].alt``), and keys pressed on a control stay in the widget.
"""
from .answer import (AnswerBox, Verdict, chain_rule_answer, check_answer, check_expression,
                     check_number, check_vector)
from .graph import GraphExercise, graph_feedback
from .jacobian import JacobianCosts, JacobianExplorer, jacobian_chain_costs
from .network import NetworkExplorer, neuron_report
from .playground import Playground, Progress, playground_step
from .stepper import ChainStepper, chain_rule_table

__all__ = ["AnswerBox", "Verdict", "chain_rule_answer", "check_answer", "check_expression",
           "check_number", "check_vector", "ChainStepper", "chain_rule_table",
           "GraphExercise", "graph_feedback", "JacobianCosts", "JacobianExplorer",
           "jacobian_chain_costs", "NetworkExplorer", "neuron_report", "Playground", "Progress",
           "playground_step"]
