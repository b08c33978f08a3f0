"""Gradient checking. Check with:  backprop-tutor code check gradcheck THIS_FILE"""


def relative_error(analytic, numeric):
    """|analytic - numeric| / max(|analytic|, |numeric|, 1e-12)"""
    raise NotImplementedError
