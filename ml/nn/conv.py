"""Convolution on images in NCHW layout (batch, channels, height, width), as PyTorch.

A convolution slides a small kernel over the image; its weights are shared across positions,
which gives far fewer parameters than a dense layer and responses that move with the input
(translation equivariance; pooling, in :mod:`ml.nn.pool`, then adds some invariance).

Forward is im2col: every kernel-sized window of the padded input becomes a row of a matrix (a
strided view, copied once), so the whole convolution is one matrix product. Backward is the same
product transposed, and col2im adds the window gradients back with one slice per kernel offset:
no Python loop over samples or pixels, and no ``np.add.at``.

On NumPy arrays the products are usually laid out another way ("rows"): one column per output
row of a tile of T output columns, holding the kh input rows under it, against a band matrix of
the kernels that is the same for every tile (and carries the bias, beside a row of ones). The
band wastes products on its zeros (a tile's band is about two kernels wide, at most
``_BAND_WASTE``), to gain long contiguous copies, efficient products, and kh additions per
tile in col2im instead of kh*kw short ones. Where the band would be too wide or too large, few
input channels take one row per kernel offset instead of per window. Both keep the batch as
the last axis of memory behind the NCHW view, so that the activations and pooling between
layers run along runs of N values rather than of a row's few pixels.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ml._validation import check_memory, check_number
from ml.backend import (
    add_to_rows,
    array_namespace,
    matmul,
    sum_rows,
    window_counts,
    windows,
)
from ml.nn._images import check_images, check_padding, col2im, pad, pair
from ml.nn.init import weights_and_bias
from ml.nn.layers import MAX_FEATURES, Layer, config_int

__all__ = ["Conv2D"]


def _padding(padding, kernel: tuple[int, int], stride: tuple[int, int]):
    """``((top, bottom), (left, right))`` for an int, a pair, "valid" or "same"."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' needs stride 1 (as in PyTorch).")
        # an even kernel pads one more at the bottom and right, as PyTorch does
        return tuple((k - 1) // 2 for k in kernel), tuple(k - 1 - (k - 1) // 2 for k in kernel)
    ph, pw = pair(padding, "padding")
    return (ph, pw), (ph, pw)


_BAND_WASTE = 3  # the rows path's band is at most this many times wider than a kernel row
_BAND_MOST = 2**18  # and has at most this many entries (1 MB of float32, made on every step)


def _band_tile(out_w: int, kw: int, sw: int) -> tuple[int, int]:
    """``(T, span)``: the output columns of one tile of the band (the smallest divisor of OW
    whose tiles step at least a kernel's width, so a tile's band is about two kernels wide)
    and the input columns under a tile."""
    tile = next(t for t in range(1, out_w + 1) if out_w % t == 0 and (sw * t >= kw or t == out_w))
    return tile, sw * (tile - 1) + kw


def _sum_of_products(a, b):
    """``sum_t a[t] @ b[t]`` for products with long inner sums and a small result (the band's
    gradient). A result wider than tall is made transposed, ``(sum_t b[t]^T a[t]^T)^T``, so
    that its longer side is the products' rows, which OpenBLAS splits between its threads: in
    a LeNet fit, the first layer's weight gradient 0.64 ms against 0.87, the second's 0.58
    against 0.70 (AMD EPYC, AVX-512); a first layer of 16 kernels of 3 x 3, taller than wide,
    would take 0.12 ms the other way round against 0.11."""
    if b.shape[2] > a.shape[1]:
        return np.sum(np.matmul(b.transpose(0, 2, 1), a.transpose(0, 2, 1)), axis=0).T
    return np.sum(np.matmul(a, b), axis=0)


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in every framework):
    ``y[n, o, i, j] = b[o] + sum_{c, p, q} W[o, c, p, q] x_pad[n, c, s i + p, s j + q]``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int)
    padding : int, (int, int), "valid" or "same"
        Zeros added around the input; "same" keeps the size (stride 1 only).
    init, bias_init, random_state, dtype
        As for :class:`ml.nn.Dense`; fan-in is ``in_channels * kh * kw``.

    Shapes: ``x`` (N, C, H, W), ``W`` (out_channels, C, kh, kw), ``b`` (out_channels,).
    With ``cols`` the windows as rows (N*OH*OW, kh*kw*C) and ``W`` as rows (out, kh*kw*C):
    ``y = cols W^T + b``; backward ``dW = dy^T cols``, ``db = sum dy``, ``dcols = dy W`` (made
    one kernel offset after another), then col2im. The work is done channels-last (NHWC) so that
    these rows are contiguous; NumPy arrays mostly take the band layout of the module's text.

    Raises
    ------
    ValueError
        For channels that are not positive ints, a kernel, stride or padding that is not a
        positive int or pair (padding at most ``kernel_size - 1``), "same" padding with a stride,
        or kernels too large for memory.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> conv = nn.Conv2D(1, 4, 3, padding="same", random_state=0)
    >>> conv.forward(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape
    (2, 4, 8, 8)
    """

    fresh_output = True  # a view of the product's own array, in every path
    keeps_output = False  # training keeps the input's rows (or windows) and the band
    fresh_grad = True  # dx, a view of a new array (the padded input's gradient), in every path

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        *,
        init="glorot_uniform",
        bias_init="zeros",
        random_state=None,
        dtype=np.float32,
    ):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        check_number("in_channels", in_channels, integer=True, low=1, high=MAX_FEATURES)
        check_number("out_channels", out_channels, integer=True, low=1, high=MAX_FEATURES)
        self.kernel_size = pair(kernel_size, "kernel_size", low=1)
        self.stride = pair(stride, "stride", low=1)
        self.padding_arg = padding
        self.padding = _padding(padding, self.kernel_size, self.stride)
        check_padding(self.padding, self.kernel_size, lambda k: k - 1)
        shape = (out_channels, in_channels, *self.kernel_size)
        check_memory(
            f"Conv2D({in_channels}, {out_channels})",
            math.prod(shape) * np.dtype(dtype).itemsize,
            "its kernels",
        )
        W, b = weights_and_bias(shape, init, bias_init, random_state, dtype)
        self.params = {"W": W, "b": b}

    def forward(self, x, training: bool = False):
        check_images(self, x, self.in_channels)
        xp, path = array_namespace(x), self._path(x)
        if path == "offsets":
            y, cols_t = self._forward_by_offsets(x)
            self._save_for_backward(training, path=path, input_shape=tuple(x.shape), cols_t=cols_t)
            return y
        if path == "rows":
            y, rows_t, band = self._forward_by_rows(x)
            self._save_for_backward(
                training, path=path, input_shape=tuple(x.shape), rows_t=rows_t, band=band
            )
            return y
        # channels last, so that each window row is made of contiguous runs of C values
        x_pad = pad(xp.permute_dims(x, (0, 2, 3, 1)), self.padding, channels_last=True)
        cols = windows(x_pad, self.kernel_size, self.stride, channels_last=True)
        n, out_h, out_w = cols.shape[:3]
        cols = xp.reshape(cols, (n * out_h * out_w, -1))  # im2col: one copy
        self._save_for_backward(training, path=path, input_shape=tuple(x.shape), cols=cols)
        y = add_to_rows(cols @ self._W_rows().T, self.params["b"])
        return xp.permute_dims(xp.reshape(y, (n, out_h, out_w, self.out_channels)), (0, 3, 1, 2))

    def _path(self, x) -> str:
        """How the products are laid out for ``x``: "rows" for NumPy (a band matrix) where the
        band wastes little, else "offsets" for few channels and "windows" (im2col, a row per
        window) for the rest."""
        if type(x) is np.ndarray:
            (top, left), (bottom, right) = self.padding
            (kh, kw), sw = self.kernel_size, self.stride[1]
            padded = (x.shape[2] + top + bottom, x.shape[3] + left + right)
            _, out_w = window_counts(padded, self.kernel_size, self.stride)
            tile, span = _band_tile(out_w, kw, sw)
            size = tile * self.out_channels * kh * span * self.in_channels
            if span <= _BAND_WASTE * kw and size <= _BAND_MOST:
                return "rows"
        return "offsets" if self._few_channels() else "windows"

    def _reads_every_input(self, shape) -> bool:
        """Whether every value of an input of ``shape`` (N, C, H, W) lies in some window:
        windows no further apart than they are wide, the last one reaching the input's end."""
        for size, before_after, kernel, stride in zip(
            shape[2:], zip(*self.padding, strict=True), self.kernel_size, self.stride, strict=True
        ):
            if stride > kernel or (size + sum(before_after) - kernel) % stride:
                return False
        return True

    def _few_channels(self) -> bool:
        """A first layer of grey or colour images: so few channels that a window row would be
        gathered a value or three at a time. Then im2col is made the other way round (Caffe's):
        one row per (channel, kernel offset), of all the windows' pixels at that place, copied
        as contiguous runs of OW pixels."""
        return self.in_channels <= 4

    def _forward_by_offsets(self, x):
        """``y`` from ``y^T = W (out, C*kh*kw) cols_t + b``, and ``cols_t`` (C*kh*kw, OH*OW*N).
        The batch is the last axis of the memory (C, H, W, N), which every slice then copies
        as runs of OW*N values, and which ``y`` keeps (out, OH, OW, N): the pooling and the
        activation after the layer then work along runs of N values, not of a row's few."""
        xp, (kh, kw), (sh, sw) = array_namespace(x), self.kernel_size, self.stride
        x_pad = pad(xp.permute_dims(x, (1, 2, 3, 0)), self.padding, channels_last=True)
        c, n = x_pad.shape[0], x_pad.shape[3]
        out_h, out_w = window_counts(x_pad.shape[1:3], self.kernel_size, self.stride)
        cols_t = xp.reshape(
            xp.stack(
                [
                    x_pad[
                        ch, p : p + sh * (out_h - 1) + 1 : sh, q : q + sw * (out_w - 1) + 1 : sw, :
                    ]
                    for ch in range(c)
                    for p in range(kh)
                    for q in range(kw)
                ]
            ),
            (c * kh * kw, -1),
        )
        y_t = matmul(xp.reshape(self.params["W"], (self.out_channels, -1)), cols_t)
        y_t += self.params["b"][:, None]
        y = xp.permute_dims(xp.reshape(y_t, (self.out_channels, out_h, out_w, n)), (3, 0, 1, 2))
        return y, cols_t

    def _forward_by_rows(self, x):
        """``y``, ``rows_t`` and ``band`` from ``y^T = band rows_t``, tile by tile of T output
        columns, the batch last in memory: a column of ``rows_t`` (kh*S*C + 1, tiles, OH*N) is
        the kh padded input rows, S columns wide, under one output row of one tile (one copy,
        in runs of N values), and a 1; ``band`` (T*out, kh*S*C + 1) holds the kernels,
        ``band[(t, o), (i, w, c)] = W[o, c, i, w - s t]`` where that is a kernel tap and 0
        elsewhere, the same for every tile, and ``b[o]`` in its last column. ``y`` is (OW, out,
        OH, N) in memory."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        x_pad = np.transpose(x, (1, 2, 3, 0))  # (C, H, W, N), padded if the layer pads
        if any(self.padding[0] + self.padding[1]) or x_pad.strides[3] != x.itemsize:
            x_pad = pad(x_pad, self.padding, channels_last=True)
        c, height, width, n = x_pad.shape
        out_h, out_w = window_counts((height, width), self.kernel_size, self.stride)
        tile, span = _band_tile(out_w, kw, sw)
        s_c, s_h, s_w, s_n = x_pad.strides
        under = as_strided(
            x_pad,
            (kh, span, c, out_w // tile, out_h, n),
            (s_h, s_w, s_c, s_w * sw * tile, s_h * sh, s_n),
            writeable=False,
        )
        k = kh * span * c
        rows_t = np.empty((k + 1, out_w // tile, out_h * n), x_pad.dtype)
        rows_t[:k].reshape(under.shape)[...] = under  # the one copy
        rows_t[k] = 1  # the ones that the band's bias column multiplies
        band = self._band(tile, span)
        y = np.matmul(band, rows_t.transpose(1, 0, 2))  # (tiles, T*out, OH*N), bias included
        y = np.reshape(y, (out_w, self.out_channels, out_h, n)).transpose(3, 1, 2, 0)
        return y, rows_t, band

    def _band(self, tile, span):
        """The band (T*out, kh*S*C + 1) of the kernels, and the bias, for a tile of T output
        columns: the kernels (out, kh, kw, C) written T times, each a stride further right."""
        W, b = self.params["W"], self.params["b"]
        out, c, kh, kw = W.shape
        band = np.zeros((tile, out, kh * span * c + 1), W.dtype)
        taps = np.reshape(band[..., :-1], (tile, out, kh, span, c))  # a view of band
        for t, start in enumerate(range(0, self.stride[1] * tile, self.stride[1])):
            taps[t, :, :, start : start + kw] = W.transpose(0, 2, 3, 1)
        band[..., -1] = b
        return np.reshape(band, (tile * out, -1))

    def get_config(self) -> dict:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding_arg
            if isinstance(self.padding_arg, str | int)
            else list(self.padding_arg),
        }

    @classmethod
    def array_shapes(cls, config):
        kh, kw = pair(config.get("kernel_size"), "kernel_size", low=1)
        out = config_int(config, "out_channels")
        return {"W": (out, config_int(config, "in_channels"), kh, kw), "b": (out,)}

    def _W_rows(self):
        """The kernels as rows (out_channels, kh * kw * C), in the order of the window rows."""
        W = self.params["W"]
        xp = array_namespace(W)
        return xp.reshape(xp.permute_dims(W, (0, 2, 3, 1)), (self.out_channels, -1))

    def backward(self, dout):
        xp, (kh, kw), c = array_namespace(dout), self.kernel_size, self.in_channels
        n, _, out_h, out_w = dout.shape
        dy = self._param_grads(dout)
        path, (_, _, h, w) = self._saved_for_backward("path", "input_shape")
        if path == "offsets":
            # dcols_t = W^T dy (C*kh*kw, OH*OW*N): window gradients (kh, kw, C, OH, OW, N), added
            # back into the memory (C, H, W, N) of the forward pass
            dcols_t = xp.reshape(
                matmul(xp.reshape(self.params["W"], (self.out_channels, -1)).T, dy),
                (c, kh, kw, out_h, out_w, n),
            )
            dwindows = xp.permute_dims(dcols_t, (1, 2, 0, 3, 4, 5))
            dx = col2im(dwindows, (c, h, w, n), self.padding, self.stride, channels_last=True)
            return xp.permute_dims(dx, (3, 0, 1, 2))
        if path == "rows":
            return np.transpose(self._input_grad_by_rows(dy, (n, c, h, w)), (3, 1, 2, 0))
        # dcols = dy W as one block per kernel offset (p, q): dy W[:, :, p, q], (N*OH*OW, C)
        W_offsets = xp.reshape(xp.permute_dims(self.params["W"], (2, 3, 0, 1)), (kh * kw, -1, c))
        dcols = xp.reshape(xp.matmul(dy[None, ...], W_offsets), (kh, kw, n, out_h, out_w, c))
        dx = col2im(dcols, (n, h, w, c), self.padding, self.stride, channels_last=True)
        return xp.permute_dims(dx, (0, 3, 1, 2))

    def _input_grad_by_rows(self, dy, input_shape):
        """``dx`` (W, C, H, N) in memory from ``band^T dy`` per tile (kh*S*C, OH*N): each output
        row's gradient for the kh padded input rows under it, added back row offset by row
        offset and tile by tile, each addition a block of contiguous runs of OH*N values."""
        (kh, _), (sh, sw) = self.kernel_size, self.stride
        (top, left), (bottom, right) = self.padding
        n, c, h, w = input_shape
        band = self._saved_for_backward("band")[:, :-1]  # the kernels, not the bias
        tiles, out_h = dy.shape[0], dy.shape[2] // n
        tile, span = band.shape[0] // self.out_channels, band.shape[1] // (kh * c)
        under = np.reshape(np.matmul(band.T, dy), (tiles, kh, span, c, out_h, n))
        dx = np.zeros((w + left + right, c, h + top + bottom, n), dtype=under.dtype)
        for t in range(tiles):
            cols = slice(sw * tile * t, sw * tile * t + span)
            for i in range(kh):
                dx[cols, :, i : i + sh * (out_h - 1) + 1 : sh] += under[t, i]
        return dx[left : left + w, :, top : top + h, :]

    def backward_params(self, dout) -> None:
        self._param_grads(dout)

    def _param_grads(self, dout):
        """Fill ``dW`` and ``db``; return ``dL/dy`` laid out as this layer's im2col: (out,
        OH*OW*N) beside ``cols_t`` for few channels, (tiles, T*out, OH*N) beside ``rows_t`` for
        a band, else rows (N*OH*OW, out) beside ``cols``."""
        xp, (kh, kw), c = array_namespace(dout), self.kernel_size, self.in_channels
        path = self._saved_for_backward("path")
        if path == "offsets":
            dy = xp.reshape(xp.permute_dims(dout, (1, 2, 3, 0)), (self.out_channels, -1))
            cols_t = self._saved_for_backward("cols_t")
            dW = xp.reshape(matmul(dy, cols_t.T), tuple(self.params["W"].shape))  # W's layout
            db = sum_rows(dy.T)
        elif path == "rows":
            n, _, out_h, out_w = dout.shape
            rows_t = self._saved_for_backward("rows_t")  # (kh*S*C + 1, tiles, OH*N)
            tiles = rows_t.shape[1]
            dy = np.reshape(dout.transpose(3, 1, 2, 0), (tiles, -1, out_h * n))
            # dW[o, c, i, j] = sum over tiles and t of d_band[(t, o), (i, s t + j, c)], and db
            # the sum over t of the bias column d_band[(t, o), -1]
            d_band = _sum_of_products(dy, rows_t.transpose(1, 2, 0))
            tile, span = out_w // tiles, (rows_t.shape[0] - 1) // (kh * c)
            d_taps = np.reshape(d_band[:, :-1], (tile, self.out_channels, kh, span, c))
            dW = d_taps[0, :, :, :kw].copy()
            for t in range(1, tile):
                start = self.stride[1] * t
                dW += d_taps[t, :, :, start : start + kw]
            dW = dW.transpose(0, 3, 1, 2)  # (out, kh, kw, C) to W's (out, C, kh, kw)
            db = sum_rows(np.reshape(d_band[:, -1], (tile, self.out_channels)))
        else:
            dy = xp.reshape(xp.permute_dims(dout, (0, 2, 3, 1)), (-1, self.out_channels))
            dW_rows = xp.reshape(dy.T @ self._saved_for_backward("cols"), (-1, kh, kw, c))
            dW = xp.permute_dims(dW_rows, (0, 3, 1, 2))
            db = sum_rows(dy)
        self._keep_grad("W", dW)
        self._keep_grad("b", db)
        return dy

    def _describe(self) -> str:
        kh, kw = self.kernel_size
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={kh if kh == kw else (kh, kw)}"
            f", stride={self.stride[0]}, padding={self.padding_arg!r}"
        )
