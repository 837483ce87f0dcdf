"""The instructor's tools: student notebooks from the solutions, and grading.

Imports run one way: bpinstructor uses bpcourse and bplib, never the reverse.
"""
