"""Each layer's forward and backward time, one after another, for one batch of a network:
where a CNN's step goes (the profile behind the speed issue's convolution work).

    python benchmarks/bench_layers.py              # LeNet-5, batch 64 of 28x28 images
    python benchmarks/bench_layers.py --batch 128

The input of each layer is what the layer before it returned in training, and its output
gradient what the layer after it returned in backward, each in the memory layout it was
returned in (convolutions hand on batch-last memory behind an NCHW view); the first layer is
timed with ``backward_params``, as training calls it. Times are medians of ``--repeats`` calls.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from speed import lenet  # noqa: E402


def settle_heap() -> None:
    """Keep freed memory for reuse, as a fit's heap does after its first steps (glibc's
    ``M_TOP_PAD``, 256 MB): timed alone, a layer's new arrays of a megabyte or more would
    otherwise come as fresh pages for every call, a page fault each 4 KB, which a fit does not
    meet (LeNet's first convolution forward: 1.0 ms alone, 0.5 ms in a fit and here). Other C
    libraries than glibc are left as they are."""
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-2, 256 << 20)  # M_TOP_PAD
    except (OSError, AttributeError):
        pass


def median_us(run, repeats):
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    settle_heap()
    net = lenet()
    x = np.random.default_rng(0).random((args.batch, 1, 28, 28), dtype=np.float32)
    inputs = [x]
    for layer in net.layers:
        inputs.append(layer.forward(inputs[-1], training=True))
    douts = [np.ones_like(inputs[-1])]  # each layer's output gradient as training hands it on
    for layer in reversed(net.layers[1:]):
        douts.insert(0, layer.backward(douts[0]))
    total_forward = total_backward = 0.0
    print(f"{'':3}{'layer':<44}{'input':<20}{'forward':>10}{'backward':>10}")
    for i, layer in enumerate(net.layers):
        dout = douts[i]
        x_in = inputs[i]
        forward = median_us(lambda l=layer, x=x_in: l.forward(x, training=True), args.repeats)
        layer.forward(x_in, training=True)
        step = layer.backward_params if i == 0 else layer.backward
        backward = median_us(lambda s=step, d=dout: s(d), args.repeats)
        total_forward, total_backward = total_forward + forward, total_backward + backward
        shape = str(tuple(inputs[i].shape))
        print(f"{i:<3}{layer!r:<44}{shape:<20}{forward:>8.0f}us{backward:>8.0f}us")
    print(f"{'':3}{'total':<64}{total_forward:>8.0f}us{total_backward:>8.0f}us")


if __name__ == "__main__":
    main()
