"""What the image layers share (convolution and pooling, NCHW as PyTorch): reading kernel,
stride and padding arguments, padding an image, adding window gradients back (col2im) and the
check of an input's shape."""

from __future__ import annotations

import numpy as np

from ml.backend import zeros

_MAX_WINDOW = 2**16  # kernels, strides and paddings beyond an image's size are mistakes


def pair(value, name: str, low: int = 0) -> tuple[int, int]:
    """``(a, b)`` from an int or a pair of ints, each in ``[low, 2**16]``; errors name ``name``."""
    both = (value, value) if isinstance(value, int | np.integer) else value
    if (
        isinstance(both, str)
        or not hasattr(both, "__len__")
        or len(both) != 2
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in both)
        or min(both) < low
        or max(both) > _MAX_WINDOW
    ):
        raise ValueError(
            f"{name} must be an int in [{low}, {_MAX_WINDOW}] or a pair of them; got {value!r}."
        )
    return int(both[0]), int(both[1])


def check_padding(padding, kernel, most):
    """Refuse padding beyond ``most(k)`` for each kernel length ``k``: more only adds zeros
    (and a model file must not make us allocate for them)."""
    for p, k in [both for side in padding for both in zip(side, kernel, strict=True)]:
        if p > most(k):
            raise ValueError(f"padding {p} is too large for a kernel of {k}: at most {most(k)}.")


def pad(x, padding, value=0.0, *, channels_last=False):
    """Pad the height and width axes of an NCHW array (NHWC with ``channels_last``) with
    ``value``; NHWC input always gives a fresh array."""
    (top, left), (bottom, right) = padding
    if not (top or bottom or left or right or channels_last):
        return x
    n, h, w, c = x.shape if channels_last else (x.shape[0], *x.shape[2:], x.shape[1])
    rows, cols = slice(top, top + h), slice(left, left + w)
    if channels_last:
        padded = zeros((n, h + top + bottom, w + left + right, c), like=x, fill=value)
        padded[:, rows, cols, :] = x
    else:
        padded = zeros((n, c, h + top + bottom, w + left + right), like=x, fill=value)
        padded[:, :, rows, cols] = x
    return padded


def col2im(dwindows, input_shape, padding, stride, *, channels_last=False):
    """Add window gradients (N, C, OH, OW, KH, KW), or (KH, KW, N, OH, OW, C) with
    ``channels_last``, back into a gradient of the input's shape (N, C, H, W) or (N, H, W, C):
    one slice per kernel offset adds that offset's gradient where its windows read the input."""
    (top, left), (bottom, right) = padding
    if channels_last:
        n, h, w, c = input_shape
        kh, kw, _, out_h, out_w, _ = dwindows.shape
        dx = zeros((n, h + top + bottom, w + left + right, c), like=dwindows)
    else:
        n, c, h, w = input_shape
        _, _, out_h, out_w, kh, kw = dwindows.shape
        dx = zeros((n, c, h + top + bottom, w + left + right), like=dwindows)
    sh, sw = stride
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + sh * (out_h - 1) + 1, sh)
            cols = slice(j, j + sw * (out_w - 1) + 1, sw)
            if channels_last:
                dx[:, rows, cols, :] += dwindows[i, j, ...]  # a contiguous block per offset
            else:
                dx[:, :, rows, cols] += dwindows[..., i, j]
    if channels_last:
        return dx[:, top : top + h, left : left + w, :]
    return dx[:, :, top : top + h, left : left + w]


def check_images(layer, x, channels=None):
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        wanted = f"{channels} channels" if channels is not None else "channels"
        raise ValueError(
            f"{layer!r} needs input of shape (batch, {wanted}, height, width); "
            f"got {tuple(x.shape)}."
        )
