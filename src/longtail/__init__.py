"""longtail: buyer personas in, long-tail keywords ranked by volume × lifetime value out."""

__version__ = "0.1.0"
