"""XOR with your own Value. Check with:  backprop-tutor code check xor THIS_FILE

Paste your Value class here (or import nothing: the file must stand alone), build a small
network (2 inputs, a tanh hidden layer, a sigmoid output), train it on the four XOR points
and return the final mean squared loss (below 0.05 passes; one minute at most).
"""


def train_xor():
    raise NotImplementedError
