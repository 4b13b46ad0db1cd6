"""Convolution and pooling on images in NCHW layout (batch, channels, height, width), as PyTorch.

A convolution slides a small kernel over the image; its weights are shared across positions,
which gives far fewer parameters than a dense layer and responses that move with the input
(translation equivariance; pooling then adds some invariance).

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
the last axis of memory, (C, H, W, N) behind the NCHW view, so that the activations and
pooling between layers run along runs of N values rather than of a row's few pixels.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ml._validation import check_memory, check_number
from ml.backend import array_namespace, device, matmul, sum_rows, window_counts, windows, zeros
from ml.nn.init import weights_and_bias
from ml.nn.layers import MAX_FEATURES, Layer, config_int

__all__ = ["AvgPool2D", "Conv2D", "GlobalAvgPool2D", "MaxPool2D"]


_MAX_WINDOW = 2**16  # kernels, strides and paddings beyond an image's size are mistakes


def _pair(value, name: str, low: int = 0) -> tuple[int, int]:
    """``(a, b)`` from an int or a pair of ints, each in ``[low, 2**16]``; errors name ``name``."""
    pair = (value, value) if isinstance(value, int | np.integer) else value
    if (
        isinstance(pair, str)
        or not hasattr(pair, "__len__")
        or len(pair) != 2
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in pair)
        or min(pair) < low
        or max(pair) > _MAX_WINDOW
    ):
        raise ValueError(
            f"{name} must be an int in [{low}, {_MAX_WINDOW}] or a pair of them; got {value!r}."
        )
    return int(pair[0]), int(pair[1])


def _check_padding(padding, kernel, most):
    """Refuse padding beyond ``most(k)`` for each kernel length ``k``: more only adds zeros
    (and a model file must not make us allocate for them)."""
    for pad, k in [pair for side in padding for pair in zip(side, kernel, strict=True)]:
        if pad > most(k):
            raise ValueError(f"padding {pad} is too large for a kernel of {k}: at most {most(k)}.")


def _padding(padding, kernel: tuple[int, int], stride: tuple[int, int]):
    """``((top, bottom), (left, right))`` for an int, a pair, "valid" or "same"."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' needs stride 1 (as in PyTorch).")
        # an even kernel pads one more at the bottom and right, as PyTorch does
        return tuple((k - 1) // 2 for k in kernel), tuple(k - 1 - (k - 1) // 2 for k in kernel)
    ph, pw = _pair(padding, "padding")
    return (ph, pw), (ph, pw)


def _pad(x, padding, value=0.0, *, channels_last=False):
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


def _col2im(dwindows, input_shape, padding, stride, *, channels_last=False):
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


_BAND_WASTE = 3  # the rows path's band is at most this many times wider than a kernel row
_BAND_MOST = 2**18  # and has at most this many entries (1 MB of float32, made on every step)


def _band_tile(out_w: int, kw: int, sw: int) -> tuple[int, int]:
    """``(T, span)``: the output columns of one tile of the band (the smallest divisor of OW
    whose tiles step at least a kernel's width, so a tile's band is about two kernels wide)
    and the input columns under a tile."""
    tile = next(t for t in range(1, out_w + 1) if out_w % t == 0 and (sw * t >= kw or t == out_w))
    return tile, sw * (tile - 1) + kw


def _check_images(layer, x, channels=None):
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        wanted = f"{channels} channels" if channels is not None else "channels"
        raise ValueError(
            f"{layer!r} needs input of shape (batch, {wanted}, height, width); "
            f"got {tuple(x.shape)}."
        )


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
    these rows are contiguous; few channels and narrow images take the module's other layouts.

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
        self.kernel_size = _pair(kernel_size, "kernel_size", low=1)
        self.stride = _pair(stride, "stride", low=1)
        self.padding_arg = padding
        self.padding = _padding(padding, self.kernel_size, self.stride)
        _check_padding(self.padding, self.kernel_size, lambda k: k - 1)
        shape = (out_channels, in_channels, *self.kernel_size)
        check_memory(
            f"Conv2D({in_channels}, {out_channels})",
            math.prod(shape) * np.dtype(dtype).itemsize,
            "its kernels",
        )
        W, b = weights_and_bias(shape, init, bias_init, random_state, dtype)
        self.params = {"W": W, "b": b}

    def forward(self, x, training: bool = False):
        _check_images(self, x, self.in_channels)
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
        x_pad = _pad(xp.permute_dims(x, (0, 2, 3, 1)), self.padding, channels_last=True)
        cols = windows(x_pad, self.kernel_size, self.stride, channels_last=True)
        n, out_h, out_w = cols.shape[:3]
        cols = xp.reshape(cols, (n * out_h * out_w, -1))  # im2col: one copy
        self._save_for_backward(training, path=path, input_shape=tuple(x.shape), cols=cols)
        y = cols @ self._W_rows().T
        y += self.params["b"]
        return xp.permute_dims(xp.reshape(y, (n, out_h, out_w, self.out_channels)), (0, 3, 1, 2))

    def _path(self, x) -> str:
        """How the products are laid out for ``x``: "rows" for NumPy (a band matrix) where the
        band wastes little, else "offsets" for few channels and "windows" (im2col, a row per
        window) for the rest."""
        if type(x) is np.ndarray:
            ((_, left), (_, right)), kw, sw = self.padding, self.kernel_size[1], self.stride[1]
            out_w = (x.shape[3] + left + right - kw) // sw + 1
            tile, span = _band_tile(out_w, kw, sw) if out_w >= 1 else (0, math.inf)
            size = tile * self.out_channels * self.kernel_size[0] * span * self.in_channels
            if span <= _BAND_WASTE * kw and size <= _BAND_MOST:
                return "rows"
        return "offsets" if self._few_channels() else "windows"

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
        x_pad = _pad(xp.permute_dims(x, (1, 2, 3, 0)), self.padding, channels_last=True)
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
            x_pad = _pad(x_pad, self.padding, channels_last=True)
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
        kh, kw = _pair(config.get("kernel_size"), "kernel_size", low=1)
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
            dx = _col2im(dwindows, (c, h, w, n), self.padding, self.stride, channels_last=True)
            return xp.permute_dims(dx, (3, 0, 1, 2))
        if path == "rows":
            return np.transpose(self._input_grad_by_rows(dy, (n, c, h, w)), (3, 1, 2, 0))
        # dcols = dy W as one block per kernel offset (p, q): dy W[:, :, p, q], (N*OH*OW, C)
        W_offsets = xp.reshape(xp.permute_dims(self.params["W"], (2, 3, 0, 1)), (kh * kw, -1, c))
        dcols = xp.reshape(xp.matmul(dy[None, ...], W_offsets), (kh, kw, n, out_h, out_w, c))
        dx = _col2im(dcols, (n, h, w, c), self.padding, self.stride, channels_last=True)
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
        OH*OW*N) beside ``cols_t`` for few channels, rows (N*OH, OW*out) beside ``rows`` for a
        band, else rows (N*OH*OW, out) beside ``cols``."""
        xp, (kh, kw), c = array_namespace(dout), self.kernel_size, self.in_channels
        path = self._saved_for_backward("path")
        if path == "offsets":
            dy = xp.reshape(xp.permute_dims(dout, (1, 2, 3, 0)), (self.out_channels, -1))
            cols_t = self._saved_for_backward("cols_t")
            dW = xp.reshape(matmul(dy, cols_t.T), tuple(self.params["W"].shape))  # W's layout
            db = sum_rows(dy.T)
        elif path == "rows":
            n, _, out_h, out_w = dout.shape
            rows_t = self._saved_for_backward("rows_t")  # (kh*S*C, tiles, OH*N)
            tiles = rows_t.shape[1]
            dy = np.reshape(dout.transpose(3, 1, 2, 0), (tiles, -1, out_h * n))
            # dW[o, c, i, j] = sum over tiles and t of d_band[(t, o), (i, s t + j, c)], and db
            # the sum over t of the bias column d_band[(t, o), -1]
            d_band = np.sum(np.matmul(dy, rows_t.transpose(1, 2, 0)), axis=0)
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
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", low=1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", low=1)
        ph, pw = _pair(padding, "padding")
        self.padding = ((ph, pw), (ph, pw))
        _check_padding(self.padding, self.kernel_size, lambda k: k // 2)  # PyTorch's rule

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

    def forward(self, x, training: bool = False):
        _check_images(self, x)
        xp = array_namespace(x)
        if self._tiled():
            views = [x[index] for index in self._offsets(x.shape)]
            y = xp.maximum(views[0], views[1]) if len(views) > 1 else xp.asarray(views[0])
            for view in views[2:]:
                if type(y) is np.ndarray:
                    np.maximum(y, view, out=y)
                else:
                    y = xp.maximum(y, view)
            self._save_for_backward(training, x=x, y=y)
            return y
        wins = windows(_pad(x, self.padding, -np.inf), self.kernel_size, self.stride)
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
        return _col2im(dwindows, input_shape, self.padding, self.stride)


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

    def forward(self, x, training: bool = False):
        _check_images(self, x)
        wins = windows(_pad(x, self.padding), self.kernel_size, self.stride)
        self._save_for_backward(training, input_shape=tuple(x.shape))
        return array_namespace(x).mean(wins, axis=(4, 5))

    def backward(self, dout):
        xp, (kh, kw) = array_namespace(dout), self.kernel_size
        share = dout[..., None, None] / (kh * kw)
        dwindows = xp.broadcast_to(share, (*dout.shape, kh, kw))
        return _col2im(dwindows, self._saved_for_backward("input_shape"), self.padding, self.stride)


class GlobalAvgPool2D(Layer):
    """``(N, C, H, W) -> (N, C)``: the mean of each channel; backward spreads ``dy / (H W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ml import nn
    >>> nn.GlobalAvgPool2D().forward(np.ones((2, 3, 4, 4))).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def forward(self, x, training: bool = False):
        _check_images(self, x)
        self._save_for_backward(training, input_shape=tuple(x.shape))
        return array_namespace(x).mean(x, axis=(2, 3))

    def backward(self, dout):
        n, c, h, w = self._saved_for_backward("input_shape")
        return zeros((n, c, h, w), like=dout) + (dout / (h * w))[:, :, None, None]
