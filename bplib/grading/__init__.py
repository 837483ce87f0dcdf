"""Grading student notebooks against the solutions (see ``bplib grade --help``)."""
from .protocol import probe_rng, report

__all__ = ["probe_rng", "report"]
