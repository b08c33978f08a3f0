"""Gradient clipping. Check with:  backprop-tutor code check clipping THIS_FILE"""
import math


def clip_by_value(params, limit):
    """Clamp every p.grad into [-limit, limit], in place."""
    raise NotImplementedError


def clip_by_global_norm(params, max_norm):
    """If the norm of all grads exceeds max_norm, scale them all by max_norm / norm. Return the norm."""
    raise NotImplementedError
