"""Build your own Value: a scalar that remembers how it was computed and can backpropagate.

Fill in every method. Check with:  backprop-tutor code check activations THIS_FILE
"""
import math


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None  # set by each operation: pushes out.grad to the inputs
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        raise NotImplementedError("multiply, and give each input the other's value times out.grad")

    def __pow__(self, n):  # n is a plain number
        raise NotImplementedError

    def __neg__(self):
        raise NotImplementedError

    def __sub__(self, other):
        raise NotImplementedError

    def __truediv__(self, other):
        raise NotImplementedError

    def __radd__(self, other):  # 2 + x
        return self + other

    def __rsub__(self, other):  # 2 - x
        raise NotImplementedError

    def __rmul__(self, other):  # 2 * x
        raise NotImplementedError

    def __rtruediv__(self, other):  # 2 / x
        raise NotImplementedError

    def relu(self):
        raise NotImplementedError

    def tanh(self):
        raise NotImplementedError

    def exp(self):
        raise NotImplementedError

    def log(self):
        raise NotImplementedError

    def sigmoid(self):
        raise NotImplementedError

    def backward(self):
        # Order the graph so every node comes after its inputs (visit each node once),
        # seed this node's grad with 1, then call _backward on the nodes in reverse order.
        raise NotImplementedError
