"""The cells of the lecture's notebooks (see build.py): markdown cells start with "md:"."""

SETUP = """
import warnings

import numpy as np
import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # we train briefly on purpose
warnings.filterwarnings("ignore", message="IProgress not found")  # no progress bars needed
import ml
from ml import plots

plots.set_plot_style()
CHECK
"""

LINEAR = [
    """md:
# 1. Linear classification, softmax and cross-entropy

The lecture starts with the simplest classifier that learns: a linear map from the pixels of a
digit to one score per class, the softmax that turns scores into probabilities, and the
cross-entropy that says how wrong those probabilities are. Every formula below sits next to the
`ml` function that computes it.""",
    SETUP,
    """md:
## Scores: `f = x W`

A digit is a row `x` of 64 pixels. A weight matrix `W` of shape (65, 10) gives one score per
class; the first row of `W` is the bias, which the lecture folds into `W` by putting a 1 in
front of every `x`.""",
    """
X, y = ml.datasets.load_digits()
X_b = np.hstack([np.ones((len(X), 1)), X])  # the bias column
rng = np.random.default_rng(0)
W = rng.normal(size=(65, 10))  # the lecture's random start
f = X_b @ W
f.shape
""",
    """md:
## Softmax: `q_k = e^{f_k} / sum_j e^{f_j}`  ->  `ml.softmax`

Softmax turns any scores into a probability distribution. Computed as written it overflows
(`e^{1000}` is infinite); `ml.softmax` first subtracts each row's maximum, which changes
nothing mathematically, because the shift cancels between numerator and denominator.""",
    """
q = ml.softmax(f)
print("rows sum to", q.sum(axis=1)[:3])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp([1000.0, 0.0]) / np.exp([1000.0, 0.0]).sum()
print("naive:", naive, " ml.softmax:", ml.softmax(np.array([[1000.0, 0.0]]))[0])
""",
    """md:
## Cross-entropy: `H(p, q) = -sum_k p_k log q_k`  ->  `ml.cross_entropy`

The true distribution `p` of a label is one-hot (`ml.label_binarize`). The loss is the mean
cross-entropy over the samples; with `base=2` it is in bits, as in the lecture. For the random
`W` above the lecture reports 167.32 bits.""",
    """
Y = ml.label_binarize(y, 10)
loss = ml.cross_entropy(X_b @ W, Y, base=2)
print(loss)
assert abs(loss - 167.32104212686957) < 1e-9  # the lecture's number
""",
    """md:
## Its gradient: `dL/df = (q - y) / n`  ->  `ml.cross_entropy_gradient`

The whole of learning rests on this line: with `f = X W`, the chain rule gives
`dL/dW = X^T (q - y) / n`. A gradient is easy to get wrong, so we check it against central
differences, `(L(W + h) - L(W - h)) / 2h`, with `ml.check_gradient` (relative error).""",
    """
W_small = rng.normal(0, 0.01, size=(65, 10))


def loss_nats(W):
    return ml.cross_entropy(X_b[:50] @ W, Y[:50])


gradient = X_b[:50].T @ ml.cross_entropy_gradient(X_b[:50] @ W_small, Y[:50])
print("relative error:", ml.check_gradient(loss_nats, W_small, gradient))
""",
    """md:
## The classifier: `ml.SoftmaxClassifier`

The same model as a scikit-learn estimator. On the lecture's three blobs a linear classifier
is enough: its decision regions are separated by straight lines.""",
    """
X2, y2 = ml.datasets.blobs()
model = ml.SoftmaxClassifier(learning_rate=0.1, random_state=0).fit(X2, y2)
print("training accuracy", model.score(X2, y2))
plots.plot_decision_regions(model, X2, y2);
""",
    """md:
## Exercises

1. What is the cross-entropy, in bits, of a prediction that is uniform over the 10 classes?
2. For the scores `f = [2, 1, 0]`, what probability does softmax give the first class?
3. How many numbers does `W` hold for the digits (bias included)?""",
    """
answer_1 = None  # your number
check(answer_1, ml.cross_entropy(np.zeros((1, 10)), np.eye(10)[:1], base=2))
""",
    """
answer_2 = None
check(answer_2, ml.softmax(np.array([[2.0, 1.0, 0.0]]))[0, 0])
""",
    """
answer_3 = None
check(answer_3, W.size)
""",
]

SEARCHES = [
    """md:
# 2. Random search, random local search and gradient descent

Three ways to look for the `W` of lowest loss, side by side: guess blindly, step randomly from
the best so far, or step downhill along the gradient. Each returns the loss after every step.""",
    SETUP,
    """
X, y = ml.datasets.load_digits()
X_b = np.hstack([np.ones((len(X), 1)), X])
Y = ml.label_binarize(y, 10)


def loss(W):
    return ml.cross_entropy(X_b @ W, Y, base=2)


def gradient(W):
    return X_b.T @ ml.cross_entropy_gradient(X_b @ W, Y)
""",
    """md:
- **Random search** (`ml.random_search`): draw `W ~ N(0, s^2)` afresh each step; keep the best.
- **Random local search** (`ml.random_local_search`): `W_new ~ N(W_best, s^2)`; move if better.
- **Gradient descent** (`ml.gradient_descent`): `W <- W - step_size * dL/dW`.""",
    """
steps = 500
losses_random, _ = ml.random_search(loss, (65, 10), max_iter=steps, random_state=0, verbose=False)
losses_local, _ = ml.random_local_search(
    loss, (65, 10), max_iter=steps, random_state=0, verbose=False
)
losses_gd, W = ml.gradient_descent(
    loss, gradient, (65, 10), max_iter=steps, random_state=0, verbose=False
)
plots.plot_loss_curves(
    {"random search": losses_random, "random local search": losses_local, "gradient descent": losses_gd}
);
""",
    """md:
Blind guessing barely improves: almost every random `W` is bad. Local search improves, slowly,
because a random direction is seldom downhill in 650 dimensions. The gradient *is* the downhill
direction, and gradient descent reaches a loss a local search does not reach in 500 steps.""",
    """
for name, curve in [("random", losses_random), ("local", losses_local), ("gradient", losses_gd)]:
    print(f"{name:>9}: first {curve[0]:.3f} bits, last {curve[-1]:.3f} bits")
accuracy = (np.argmax(X_b @ W, axis=1) == y).mean()
print("training accuracy of gradient descent's W:", accuracy)
""",
    """md:
The estimator `ml.SoftmaxClassifier(solver=...)` runs any of the three; `solver="sgd"` adds
minibatches, the method of the rest of the lecture.""",
    """
for solver in ["random_search", "random_local_search", "gradient_descent", "sgd"]:
    model = ml.SoftmaxClassifier(solver=solver, max_iter=200, random_state=0).fit(X / 16, y)
    print(f"{solver:>20}: training accuracy {model.score(X / 16, y):.3f}")
""",
    """md:
## Exercises

1. After how many steps does gradient descent first go below 1 bit?
2. What is random local search's lowest loss (in bits)?
3. How many times lower is gradient descent's last loss than random search's?""",
    """
answer_1 = None
check(answer_1, int(np.argmax(np.asarray(losses_gd) < 1)) + 1)
""",
    """
answer_2 = None
check(answer_2, min(losses_local))
""",
    """
answer_3 = None
check(answer_3, losses_random[-1] / losses_gd[-1], tol=1e-3)
""",
]

MLP = [
    """md:
# 3. The multi-layer perceptron and backpropagation

A linear classifier cannot separate two spirals. Stacking layers with a non-linear activation
between them, `p = q_2(q_1(x W_1) W_2)`, can: `ml.nn.Sequential` and `ml.MLPClassifier`.
Training needs the gradient of the loss for every weight; backpropagation gets all of them in
one backward pass with the chain rule.""",
    SETUP,
    """
X, y = plots.twospirals(n_samples=300, random_state=0)
linear = ml.SoftmaxClassifier(learning_rate=0.1, random_state=0).fit(X, y)
mlp = ml.MLPClassifier((64, 64, 64), max_iter=1000, random_state=0).fit(X, y)
print("linear:", linear.score(X, y), "  MLP:", mlp.score(X, y))
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
plots.plot_decision_regions(linear, X, y, ax=axes[0])
plots.plot_decision_regions(mlp, X, y, ax=axes[1]);
""",
    """md:
## Watching it learn: `plots.LiveTrainingPlot`

The lecture's "Iteration N" figure, redrawn while the network trains: the decision regions, each
layer's weights as an image, and the loss curve. In a notebook the figure is replaced in place
every `every` epochs; after training, the last frame stays.""",
    """
live = plots.LiveTrainingPlot(every=100, X=X, y=y)
ml.MLPClassifier((64, 64, 64), max_iter=600, random_state=0, callbacks=[live]).fit(X, y)
plt.close(live.figure)
print("frames drawn:", live.frames)
""",
    """md:
## One forward and one backward pass, layer by layer: `ml.nn.trace`

A layer's `forward` keeps what its `backward` needs. `backward(dout)` receives `dL/d(output)`
and returns `dL/d(input)`, filling its parameters' gradients on the way. For a Dense layer
`y = x W + b`: `dW = x^T dy`, `db = sum_i dy_i`, `dx = dy W^T`. `ml.nn.trace` records a whole
pass of a small network on four samples.""",
    """
net = ml.nn.Sequential(
    ml.nn.Dense(2, 4, random_state=0, dtype=np.float64),
    ml.nn.Tanh(),
    ml.nn.Dense(4, 2, random_state=1, dtype=np.float64),
)
x, labels = X[:4], y[:4]
trace = ml.nn.trace(net, x, labels)
print(trace)
""",
    """
plots.plot_backprop(trace);
""",
    """md:
Values flow forward left to right (top row); gradients flow backward right to left (bottom
row). The last layer's weight gradient is `x^T dy`, with `x` what that layer received and `dy`
the gradient that arrived. We check it by hand, then against the numerical gradient.""",
    """
last = trace.layers[-1]
by_hand = last.input.T @ last.grad_output
print("dW by hand equals the recorded dW:", np.allclose(by_hand, last.param_grads["W"]))


def loss_of(W):
    saved = net[2].params["W"].copy()
    net[2].params["W"][...] = W
    value = ml.nn.trace(net, x, labels).loss
    net[2].params["W"][...] = saved
    return value


numerical = ml.numerical_gradient(loss_of, net[2].params["W"].copy())
print("largest difference from the numerical gradient:", np.abs(numerical - by_hand).max())
""",
    """md:
## The trained network as a picture: `plots.plot_network`

Every weight is a line, red when positive and blue when negative, as wide as it is large. With
2-D inputs each hidden unit shows its own small map: the region of the plane where it is
active. The first layer's units cut the plane by lines; later units combine the cuts.""",
    """
small = ml.MLPClassifier((16, 16), max_iter=2000, learning_rate_init=0.01, random_state=0).fit(X, y)
print("accuracy of the small network:", small.score(X, y))
plots.plot_network(small, X=X);
""",
    """md:
## Exercises

1. How many weights and biases does `MLPClassifier((64, 64, 64))` have on these spirals (2 inputs,
   2 classes, one output unit)?
2. In the trace above, what is the root mean square of the gradient that reaches the first layer's
   input?
3. How many layers (Dense and activations) did the trace record?""",
    """
answer_1 = None
check(answer_1, sum(w.size for w in mlp.coefs_ + mlp.intercepts_))
""",
    """
answer_2 = None
check(answer_2, float(np.sqrt(np.mean(trace.layers[0].grad_input ** 2))))
""",
    """
answer_3 = None
check(answer_3, len(trace.layers))
""",
]

ACTIVATIONS = [
    """md:
# 4. Activation functions and their gradients

Without a non-linear activation a stack of layers collapses to one linear map. Each activation
`g` comes with its derivative `g'`, which backpropagation multiplies into every gradient that
passes: `dx = dy * g'(x)` (`ml.nn.ReLU`, `Tanh`, `Sigmoid`, `Softplus`, ...).""",
    SETUP,
    """
plots.plot_activations(["sigmoid", "tanh", "relu", "softplus"]);
""",
    """md:
| activation | `g(x)` | `g'(x)` | `ml` |
|---|---|---|---|
| sigmoid | `1 / (1 + e^-x)` | `g(x) (1 - g(x))` | `ml.functional.sigmoid`, `sigmoid_gradient` |
| tanh | `tanh x` | `1 - tanh^2 x` | `ml.functional.tanh`, `tanh_gradient` |
| ReLU | `max(0, x)` | `[x > 0]` | `ml.functional.relu`, `relu_gradient` |
| softplus | `log(1 + e^x)` | `sigmoid(x)` | `ml.functional.softplus`, `softplus_gradient` |

Every derivative in `ml` is checked against the numerical gradient; here is the check.""",
    """
x = np.linspace(-4, 4, 41)
for name in ["sigmoid", "tanh", "relu", "softplus", "leaky_relu"]:
    activation = ml.get_activation(name)
    error = ml.check_gradient(lambda v: activation.function(v).sum(), x + 0.05, activation.gradient(x + 0.05))
    print(f"{name:>10}: relative error {error:.1e}")
""",
    """md:
## Why ReLU: gradients that do not vanish

Sigmoid's derivative is at most 1/4, so every sigmoid layer shrinks the gradient at least
fourfold; through ten layers almost nothing is left for the first one. ReLU's derivative is 1
where the unit is active. `ml.nn.trace` shows the size of the gradient at every layer.""",
    """
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 16))
labels = rng.integers(0, 2, size=32)
for name in ["sigmoid", "relu"]:
    layers = []
    for i in range(10):
        layers += [ml.nn.Dense(16, 16, init="he_normal", random_state=i, dtype=np.float64), ml.nn.activation_layer(name)]
    net = ml.nn.Sequential(*layers, ml.nn.Dense(16, 2, random_state=99, dtype=np.float64))
    trace = ml.nn.trace(net, x, labels)
    sizes = [np.sqrt(np.mean(s.param_grads["W"] ** 2)) for s in trace.layers if "W" in s.param_grads]
    plt.semilogy(range(1, 12), sizes, marker="o", label=name)
plt.xlabel("Dense layer (1 = first)")
plt.ylabel("rms of dL/dW")
plt.legend();
""",
    """md:
## Exercises

1. What is the largest value of the sigmoid's derivative?
2. What is `tanh'(0)`?
3. What is the derivative of softplus at `x = 0`?""",
    """
answer_1 = None
check(answer_1, ml.functional.sigmoid_gradient(np.array([0.0]))[0])
""",
    """
answer_2 = None
check(answer_2, ml.functional.tanh_gradient(np.array([0.0]))[0])
""",
    """
answer_3 = None
check(answer_3, ml.functional.softplus_gradient(np.array([0.0]))[0])
""",
]

REGULARISATION = [
    """md:
# 5. Regularisation: L2 and dropout

A network with many weights can learn its training data by heart, noise included, and then do
worse on new data: over-fitting. Two remedies of the lecture: the L2 penalty
`L + alpha / (2 n) sum ||W||^2` (`alpha` of every estimator, `ml.functional.l2_penalty`), which
keeps weights small, and dropout (`ml.nn.Dropout`, `dropout=`), which switches random units
off in training so that no unit can rely on another.""",
    SETUP,
    """
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

X, y = ml.datasets.twospirals(n_samples=100, noise=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
""",
    """md:
## Over-fitting on a curve

A large network, (128, 128), trained long on 100 noisy points: its training loss keeps falling
while its loss on the held-out points turns up after a few epochs. A callback records the test
loss after every epoch (`callbacks=[f]`, with `f(model, epoch, history)`).""",
    """
def train(**options):
    test_losses = []

    def record(model, epoch, history):
        test_losses.append(log_loss(y_test, model.predict_proba(X_test)))

    model = ml.MLPClassifier(
        (128, 128), max_iter=400, learning_rate_init=0.01, n_iter_no_change=400,
        random_state=0, callbacks=[record], **options,
    ).fit(X_train, y_train)
    return model, test_losses


runs = {"no regularisation": train(), "L2, alpha=1": train(alpha=1.0), "dropout 0.3": train(dropout=0.3)}
fig, ax = plt.subplots(figsize=(7, 4))
for name, (model, test_losses) in runs.items():
    (line,) = ax.plot(model.loss_curve_, label=f"{name}: training")
    ax.plot(test_losses, ls="--", color=line.get_color(), label=f"{name}: test")
ax.set(xlabel="epoch", ylabel="cross-entropy", ylim=(0, 2.5))
ax.legend(fontsize=8);
""",
    """
for name, (model, test_losses) in runs.items():
    print(f"{name:>18}: train accuracy {model.score(X_train, y_train):.2f}, "
          f"test accuracy {model.score(X_test, y_test):.2f}")
""",
    """md:
Without regularisation the network fits the training points perfectly and the test loss climbs:
it has learned the noise. Both remedies keep the test loss down and the test accuracy up. A
third remedy watches that curve itself: `early_stopping=True` holds out `validation_fraction`
of the training data, stops when its score stops improving and restores the best weights (it
needs enough data to hold out; with 50 points the validation set is 5 points).""",
    """md:
## The penalty and the mask, by hand

`ml.functional.l2_penalty(weights, alpha) = alpha / 2 * sum ||W||^2`; its gradient is `alpha W`.
Inverted dropout keeps a unit with probability `1 - p` and scales it by `1 / (1 - p)`, so that
the expected output equals the input and nothing changes at inference.""",
    """
W = np.array([[1.0, -2.0], [0.5, 0.0]])
print("penalty:", ml.functional.l2_penalty([W], 0.1))
layer = ml.nn.Dropout(0.4, random_state=0)
out = layer.forward(np.ones((1000, 100)), training=True)
print("mean after dropout in training:", out.mean(), " at inference:", layer.forward(np.ones(3)).mean())
""",
    """md:
## Exercises

1. What is the L2 penalty of `W = [[3, 4]]` with `alpha = 2`?
2. With dropout `p = 0.25`, by what factor are the kept units scaled in training?
3. At which epoch was the test loss of the unregularised network lowest (counting from 1)?""",
    """
answer_1 = None
check(answer_1, ml.functional.l2_penalty([np.array([[3.0, 4.0]])], 2.0))
""",
    """
answer_2 = None
check(answer_2, 1 / (1 - 0.25))
""",
    """
answer_3 = None
check(answer_3, int(np.argmin(runs["no regularisation"][1])) + 1)
""",
]

CONVOLUTION = [
    """md:
# 6. Convolutional networks

An MLP sees an image as a list of pixels: shift the digit by one pixel and every input changes.
A convolution slides one small kernel over the whole image,
`y[i, j] = b + sum_{p, q} W[p, q] x[i + p, j + q]` (`ml.nn.Conv2D`), so the same pattern is
found wherever it is; max-pooling (`ml.nn.MaxPool2D`) then keeps the strongest response of each
neighbourhood. `ml.ConvNetClassifier` stacks them: what scikit-learn does not have.""",
    SETUP,
    """
from sklearn.model_selection import train_test_split

images, labels = ml.datasets.load_digits(images=True)
I_train, I_test, l_train, l_test = train_test_split(images / 16, labels, random_state=0)
cnn = ml.ConvNetClassifier(conv_layers=[(8, 3), (16, 3)], max_iter=30, random_state=0)
cnn.fit(I_train.astype(np.float32), l_train)  # float32 images train in float32: faster
print(cnn.network_.summary((1, 8, 8)))
print("test accuracy:", cnn.score(I_test.astype(np.float32), l_test))
""",
    """md:
## What the network learned: filters and feature maps

The first layer's 3x3 kernels (`plots.plot_filters`), and what each layer makes of one digit
(`plots.plot_feature_maps`): edges first, then combinations of edges.""",
    """
plots.plot_filters(cnn);
""",
    """
plots.plot_feature_maps(cnn, I_test[0].astype(np.float32));
""",
    """md:
## Shifted digits

We shift the test digits by up to one or two pixels (`ml.datasets.shift_images`) and compare
the CNN with an MLP of about as many weights that saw the same training images.""",
    """
mlp = ml.MLPClassifier((160,), max_iter=200, random_state=0).fit(I_train.reshape(len(I_train), -1), l_train)
for shift in [0, 1, 2]:
    shifted = ml.datasets.shift_images(I_test, max_shift=shift, random_state=0) if shift else I_test
    print(f"shift {shift}: CNN {cnn.score(shifted.astype(np.float32), l_test):.2f}   "
          f"MLP {mlp.score(shifted.reshape(len(shifted), -1), l_test):.2f}")
""",
    """md:
## Exercises

1. How many weights (biases included) does a `Conv2D(1, 8, 3)` layer have?
2. What is the output height of a 3x3 convolution without padding on an 8x8 image?
3. What is the CNN's test accuracy on digits shifted by up to 2 pixels?""",
    """
answer_1 = None
check(answer_1, sum(p.size for p in ml.nn.Conv2D(1, 8, 3).params.values()))
""",
    """
answer_2 = None
check(answer_2, ml.nn.Conv2D(1, 1, 3).forward(np.zeros((1, 1, 8, 8), np.float32)).shape[2])
""",
    """
answer_3 = None
shifted = ml.datasets.shift_images(I_test, max_shift=2, random_state=0).astype(np.float32)
check(answer_3, cnn.score(shifted, l_test))
""",
]

GPU = [
    """md:
# 7. What a GPU changes

"Matrix computations are well suited for GPUs. The scikit-learn library does not support GPU
computation out of the box." Training a network is mostly matrix products: a Dense layer's
forward `x W`, its backward `x^T dy` and `dy W^T`. A GPU runs thousands of multiply-adds at once,
so it wins when the matrices are large; for small ones, copying data to the device and starting
its kernels costs more than it saves. This notebook runs on the CPU and measures what matters.""",
    SETUP,
    """md:
## Counting the work

A product of an (m, k) and a (k, n) matrix costs `2 m k n` floating-point operations. We time
it with NumPy in float64 and float32: float32 halves the memory traffic and doubles the SIMD
width, which is why `ml` trains in float32 when your data is float32 (as PyTorch does).""",
    """
import time

rng = np.random.default_rng(0)
m = k = n = 1024
for dtype in [np.float64, np.float32]:
    a, b = rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
    a @ b
    start = time.perf_counter()
    for _ in range(5):
        a @ b
    seconds = (time.perf_counter() - start) / 5
    print(f"{np.dtype(dtype).name}: {2 * m * k * n / seconds / 1e9:.1f} GFLOP/s on this CPU")
""",
    """md:
How the rate grows with the size: a small product is over before the CPU's vector units are
busy, and each call has a fixed cost; a large one runs near the machine's peak. A GPU's curve
(drawn where PyTorch finds one) starts lower and ends far higher: that is where it pays.""",
    """
def gemm_rate(matmul, make, size, repeats=5):
    a, b = make(size), make(size)
    matmul(a, b)  # warm up (and, on a GPU, start its kernels)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


sizes = [32, 64, 128, 256, 512, 1024]
fig, ax = plt.subplots(figsize=(6, 3.5))
for dtype in [np.float32, np.float64]:
    rates = [gemm_rate(np.matmul, lambda s: rng.normal(size=(s, s)).astype(dtype), s) for s in sizes]
    ax.plot(sizes, rates, marker="o", label=f"CPU, {np.dtype(dtype).name}")
try:
    import torch
except ImportError:
    torch = None
if torch is not None and torch.cuda.is_available():
    def on_gpu(a, b):
        c = a @ b
        torch.cuda.synchronize()
        return c

    rates = [gemm_rate(on_gpu, lambda s: torch.randn(s, s, device="cuda"), s) for s in sizes]
    ax.plot(sizes, rates, marker="o", label="GPU, float32")
ax.set(xscale="log", yscale="log", xlabel="matrix size n (n x n times n x n)", ylabel="GFLOP/s")
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_title("Matrix product rate against size")
ax.legend();
""",
    """
X, y = ml.datasets.load_digits()
for dtype in ["float64", "float32"]:
    start = time.perf_counter()
    ml.MLPClassifier((256, 256), max_iter=20, random_state=0, dtype=dtype).fit(X / 16, y)
    print(f"MLP (256, 256), 20 epochs in {dtype}: {time.perf_counter() - start:.2f} s")
""",
    """md:
## The same code on other arrays

`ml.functional` takes its array namespace from its inputs (the array API, through
`array-api-compat`): the lecture's softmax and cross-entropy run unchanged on PyTorch tensors,
and on a CUDA device when the tensors live there (CuPy arrays too). The estimators and layers of
this version train on NumPy arrays, on the CPU; the device is where the arrays are.""",
    """
try:
    import torch
except ImportError:
    torch = None
if torch is None:
    print("PyTorch is not installed here; with it, ml.softmax(torch.tensor(...)) returns a tensor.")
else:
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    q = ml.softmax(logits)
    print(type(q).__name__, q, "device:", q.device)
    print("a CUDA device is", "available" if torch.cuda.is_available() else "not available here")
""",
    """md:
## Exercises

1. How many floating-point operations does one forward pass of a Dense(784, 256) layer take on a
   batch of 128 rows (the matrix product only)?
2. How many bytes does a (1024, 1024) float32 matrix hold?
3. Which is larger for that matrix in float64: its size in MB, or 8? Answer with its size in MB
   (1 MB = 2**20 bytes).""",
    """
answer_1 = None
check(answer_1, 2 * 128 * 784 * 256)
""",
    """
answer_2 = None
check(answer_2, np.zeros((1024, 1024), np.float32).nbytes)
""",
    """
answer_3 = None
check(answer_3, np.zeros((1024, 1024)).nbytes / 2**20)
""",
]

NOTEBOOKS = {
    "01_linear_softmax_cross_entropy": LINEAR,
    "02_random_search_and_gradient_descent": SEARCHES,
    "03_mlp_and_backpropagation": MLP,
    "04_activation_functions": ACTIVATIONS,
    "05_regularisation_l2_and_dropout": REGULARISATION,
    "06_convolutional_networks": CONVOLUTION,
    "07_what_a_gpu_changes": GPU,
}
