"""Pooling on images in NCHW layout (batch, channels, height, width), as PyTorch: the maximum
or the mean of each window, and the mean of each channel. Windows that tile the image take the
kh*kw strided views of the input instead of window copies."""

from __future__ import annotations

import numpy as np

from ml.backend import array_namespace, device, windows, zeros
from ml.nn._images import check_images, check_padding, col2im, pad, pair
from ml.nn.layers import Layer

__all__ = ["AvgPool2D", "GlobalAvgPool2D", "MaxPool2D"]


_POOL_PARAMETERS = """Parameters
    ----------
    kernel_size : int or (int, int)
        The window's height and width.
    stride : int, (int, int) or None, default=None
        The window's step; None is ``kernel_size``.
    padding : int or (int, int), default=0
        Added around the input ({fill}), at most half the kernel (PyTorch's rule).

    Raises
    ------
    ValueError
        For a kernel, stride or padding that is not a positive int or pair (padding: not in
        ``[0, kernel_size // 2]``).
"""  # the pools' own, with what their padding holds


class _Pool2D(Layer):
    fresh_output = True  # the pooled values, a new array (MaxPool2D's exception below)
    fresh_grad = True  # dx, a new array

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size", low=1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", low=1)
        ph, pw = pair(padding, "padding")
        self.padding = ((ph, pw), (ph, pw))
        check_padding(self.padding, self.kernel_size, lambda k: k // 2)  # PyTorch's rule

    def get_config(self) -> dict:
        return {
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding[0]),
        }

    def _describe(self) -> str:
        kh, kw = self.kernel_size
        return f"kernel_size={kh if kh == kw else (kh, kw)}, stride={self.stride[0]}"


class MaxPool2D(_Pool2D):
    __doc__ = f"""``y[n, c, i, j] = max`` of the window at ``(s i, s j)``; the gradient flows to the
    window's maximum. ``stride`` defaults to ``kernel_size``; padding is -inf.

    Windows that tile the image (stride = kernel, no padding, the usual case) take a fast path:
    the maximum of the kh*kw strided views ``x[:, :, i::kh, j::kw]`` (no window copies, no
    reduction over short axes), and a tie for the maximum shares the gradient equally.

    {_POOL_PARAMETERS.format(fill="-inf")}
    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.MaxPool2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4)).shape
    (1, 1, 2, 2)
    """

    @property
    def fresh_output(self) -> bool:
        """Not for 1x1 windows: tiling the image, they return a view of the input."""
        return self.kernel_size != (1, 1)

    def forward(self, x, training: bool = False):
        check_images(self, x)
        xp = array_namespace(x)
        if self._tiled():
            views = [x[index] for index in self._offsets(x.shape)]
            y = xp.maximum(views[0], views[1]) if len(views) > 1 else views[0]
            for view in views[2:]:  # the maximum so far, in place on NumPy
                y = np.maximum(y, view, out=y) if type(y) is np.ndarray else xp.maximum(y, view)
            self._save_for_backward(training, x=x, y=y)
            return y
        wins = windows(pad(x, self.padding, -np.inf), self.kernel_size, self.stride)
        flat = xp.reshape(wins, (*wins.shape[:4], -1))
        if training:
            self._save_for_backward(
                training, input_shape=tuple(x.shape), argmax=xp.argmax(flat, axis=-1)
            )
        return xp.max(flat, axis=-1)

    def _tiled(self) -> bool:
        """Windows that tile the image: stride = kernel and no padding."""
        return self.stride == self.kernel_size and self.padding == ((0, 0), (0, 0))

    def _offsets(self, shape):
        """The kh*kw indices ``[:, :, i::kh, j::kw]`` of an input of ``shape`` cropped to whole
        windows: index ``(i, j)`` picks element ``(i, j)`` of every window."""
        (kh, kw), (h, w) = self.kernel_size, shape[2:]
        out_h, out_w = h // kh, w // kw
        if out_h < 1 or out_w < 1:
            raise ValueError(f"a {kh}x{kw} window does not fit in an input of size {h}x{w}.")
        rows = [slice(i, out_h * kh, kh) for i in range(kh)]
        cols = [slice(j, out_w * kw, kw) for j in range(kw)]
        return [(slice(None), slice(None), r, c) for r in rows for c in cols]

    def backward(self, dout):
        xp, (kh, kw) = array_namespace(dout), self.kernel_size
        if self._tiled():
            x, y = self._saved_for_backward("x", "y")
            indices = self._offsets(x.shape)
            hits = [x[index] == y for index in indices]
            ties = xp.astype(hits[0], dout.dtype)
            for hit in hits[1:]:
                ties += hit if type(hit) is np.ndarray else xp.astype(hit, dout.dtype)
            if type(dout) is np.ndarray:  # each pass in place, written where it belongs
                share = np.divide(dout, ties, out=ties)
                whole = x.shape[2] % kh == 0 and x.shape[3] % kw == 0  # every input in a window
                dx = (np.empty_like if whole else np.zeros_like)(x)
                for index, hit in zip(indices, hits, strict=True):
                    np.multiply(hit, share, out=dx[index])
                return dx
            share = dout / ties  # dy to each maximum of its window, split among ties
            dx = xp.zeros_like(x)
            for index, hit in zip(indices, hits, strict=True):
                dx[index] = xp.astype(hit, dout.dtype) * share
            return dx
        input_shape, argmax = self._saved_for_backward("input_shape", "argmax")
        offsets = xp.arange(kh * kw, device=device(argmax))
        hits = xp.astype(argmax[..., None] == offsets, dout.dtype)
        dwindows = xp.reshape(hits * dout[..., None], (*dout.shape, kh, kw))
        return col2im(dwindows, input_shape, self.padding, self.stride)


class AvgPool2D(_Pool2D):
    __doc__ = f"""``y[n, c, i, j] = mean`` of the window at ``(s i, s j)`` (zero padding counts, as
    PyTorch's default); each input of a window gets ``dy / (kh kw)``.

    {_POOL_PARAMETERS.format(fill="zeros, which count in the mean")}
    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.AvgPool2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4)).shape
    (1, 1, 2, 2)
    """

    keeps_output = False  # training keeps the input's shape

    def forward(self, x, training: bool = False):
        check_images(self, x)
        wins = windows(pad(x, self.padding), self.kernel_size, self.stride)
        self._save_for_backward(training, input_shape=tuple(x.shape))
        return array_namespace(x).mean(wins, axis=(4, 5))

    def backward(self, dout):
        xp, (kh, kw) = array_namespace(dout), self.kernel_size
        share = dout[..., None, None] / (kh * kw)
        dwindows = xp.broadcast_to(share, (*dout.shape, kh, kw))
        return col2im(dwindows, self._saved_for_backward("input_shape"), self.padding, self.stride)


class GlobalAvgPool2D(Layer):
    """``(N, C, H, W) -> (N, C)``: the mean of each channel; backward spreads ``dy / (H W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.GlobalAvgPool2D().forward(np.ones((2, 3, 4, 4))).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    fresh_output = True  # the means, a new array
    keeps_output = False  # training keeps the input's shape
    fresh_grad = True  # dx, a new array

    def forward(self, x, training: bool = False):
        check_images(self, x)
        self._save_for_backward(training, input_shape=tuple(x.shape))
        return array_namespace(x).mean(x, axis=(2, 3))

    def backward(self, dout):
        n, c, h, w = self._saved_for_backward("input_shape")
        return zeros((n, c, h, w), like=dout) + (dout / (h * w))[:, :, None, None]
