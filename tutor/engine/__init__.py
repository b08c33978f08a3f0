"""Scalar autograd engine: the single source of truth for values and gradients."""

from tutor.engine.value import EngineDomainError, Value, dot

__all__ = ["EngineDomainError", "Value", "dot"]
