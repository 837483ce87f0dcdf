"""Grading student notebooks against the solutions (see ``bplib grade --help``)."""
