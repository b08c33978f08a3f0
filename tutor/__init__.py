"""backprop-tutor: learn backpropagation by tracing computational graphs by hand."""

__version__ = "0.1.0"
