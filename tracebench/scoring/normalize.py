"""Text normalisation used by the answer and step scorers (defined in :mod:`tracebench.normalize`)."""

from tracebench.normalize import normalize_answer, normalize_fact, normalize_label

__all__ = ["normalize_answer", "normalize_fact", "normalize_label"]
