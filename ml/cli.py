"""``python -m ml``: train on built-in data and show the results.

``python -m ml demo`` runs the lecture end to end and writes its figures; ``python -m ml train``
trains one model on one dataset with the hyper-parameters you give.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from ml import datasets, plots  # noqa: E402
from ml._demo import fit_and_score, last, run_demo, save, shows_progress  # noqa: E402
from ml.estimators import ConvNetClassifier, MLPClassifier, SoftmaxClassifier  # noqa: E402

DEFAULT_OUT = "ml-demo-output"

DATASETS = {
    "digits": lambda seed: datasets.load_digits(),
    "spirals": lambda seed: datasets.twospirals(400, random_state=seed),
    "xor": lambda seed: datasets.xor(400, noise=0.05, random_state=seed),
    "circles": lambda seed: datasets.circles(400, random_state=seed),
    "blobs": lambda seed: datasets.blobs(random_state=seed),
}
MODELS = {"softmax": SoftmaxClassifier, "mlp": MLPClassifier, "cnn": ConvNetClassifier}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ml`` and of the ``ml`` script.

    Every error (a bad value, a failed run, a file problem, memory running out) ends with one
    line on stderr and exit status 2, and Ctrl-C with one line and status 130; the warnings of a
    run that fails are not shown before its error (``--traceback`` shows the whole trace
    instead).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    plots.set_plot_style()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            if hasattr(args, "out"):
                _check_out(Path(args.out))
            status = args.command(args, parser)
        except KeyboardInterrupt:
            if args.traceback:
                raise
            print(f"{parser.prog}: interrupted", file=sys.stderr)
            return 130
        except Exception as error:
            if args.traceback:
                raise
            print(f"{parser.prog}: error: {_reason(error)}", file=sys.stderr)
            return 2
    for warning in caught:  # a run that went through shows what it warned of
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return status


def _reason(error: Exception) -> str:
    """One line for ``error``: its message, or its kind where it has none that says much."""
    if isinstance(error, MemoryError):
        return f"out of memory ({error or 'the run needs more than this machine has'})."
    message = " ".join(str(error).split())
    if isinstance(error, ValueError | TypeError | OSError | ImportError) and message:
        return message
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _check_out(out: Path) -> None:
    """``--out`` may name a new folder, but not one whose parent is missing too."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a folder.")
    if not out.exists() and not out.absolute().parent.is_dir():
        raise FileNotFoundError(
            f"--out {str(out)!r}: its parent folder {str(out.absolute().parent)!r} does not "
            "exist; create it first."
        )


def _port(text: str) -> int:
    """A TCP port number, 0 to 65535 (for argparse, which reports the error on one line)."""
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535; got {port}")
    return port


def _finite(text: str) -> float:
    """A finite real number (``inf`` and ``nan`` refused by the option's own name)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number; got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ml",
        description="Neural networks from the lecture: train on built-in data, print the "
        "results and write the figures.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_train(commands)
    _add_playground(commands)
    _add_export(commands)
    return parser


def _add_demo(commands) -> None:
    """``demo``: the lecture end to end."""
    demo = commands.add_parser(
        "demo",
        help="train the softmax classifier, the MLP and the CNN on digits and two spirals, "
        "print accuracies, write figures",
        description="Train the softmax classifier, a multi-layer perceptron and a convolutional "
        "network on digits and on two spirals, test the CNN on shifted digits, compare the "
        "lecture's three searches, print accuracies and losses, and write the figures as PNG "
        "files.",
    )
    _add_common(demo)
    demo.set_defaults(command=run_demo)


def _add_train(commands) -> None:
    """``train``: one model on one dataset."""
    train = commands.add_parser(
        "train",
        help="train one model on one dataset",
        description="Train one model on one built-in dataset (75 % for training, 25 % held "
        "out), print train and test accuracy and write the loss curve (and, for 2-D data, the "
        "decision regions; for the MLP, the weights).",
    )
    _add_train_arguments(train)
    _add_common(train)
    train.set_defaults(command=_train)


def _add_playground(commands) -> None:
    """``playground``: the browser page, served."""
    playground = commands.add_parser(
        "playground",
        help="serve the playground: train networks on 2-D data in your browser",
        description="Serve the playground, a page where real ml networks learn 2-D data while "
        "you watch, on 127.0.0.1 (needs the playground extra: pip install 'ml-nn[playground]'). "
        "Ctrl-C stops it.",
    )
    playground.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 exposes the "
        "playground to your network)",
    )
    playground.add_argument("--port", type=_port, default=8000, help="(default: 8000; 0: any free)")
    playground.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="let the page at this origin (http://host:port) in, as serving with --host on your "
        "network needs; repeat for more (default: this machine's own page only)",
    )
    playground.add_argument(
        "--no-browser", action="store_true", help="print the address without opening a browser"
    )
    playground.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    playground.set_defaults(command=_playground)


def _add_export(commands) -> None:
    """``export``: a model file as ONNX."""
    export = commands.add_parser(
        "export",
        help="write a saved model as ONNX, to run with onnxruntime where ml is not",
        description="Read a model file written by ml.save (or the playground) and write it as "
        "an ONNX model (needs the onnx extra: pip install 'ml-nn[onnx]'). The file is written "
        "atomically: a failure leaves any previous one intact.",
    )
    export.add_argument("model", help="the model file (.ml)")
    export.add_argument("onnx_file", help="the ONNX file to write (.onnx)")
    export.add_argument(
        "--input-shape",
        type=_sizes,
        default=None,
        help="one sample's shape as comma-separated sizes, such as 1,8,8 (default: rows of the "
        "model's n_features_in_; required for a network file)",
    )
    export.add_argument("--opset", type=int, default=None, help="ONNX opset (default: 17)")
    export.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    export.set_defaults(command=_export)


def _export(args, parser) -> int:
    """``python -m ml export MODEL.ml OUT.onnx``."""
    from ml.io.estimator import load

    try:
        from ml.onnx import save_onnx
    except ImportError as error:
        raise ImportError(
            f"export needs the onnx extra: pip install 'ml-nn[onnx]' ({error})."
        ) from error
    model = load(args.model)
    save_onnx(model, args.onnx_file, input_shape=args.input_shape, target_opset=args.opset)
    print(f"wrote {args.onnx_file}: {type(model).__name__} as ONNX")
    return 0


def _add_train_arguments(train):
    train.add_argument("--data", choices=sorted(DATASETS), default="digits")
    train.add_argument("--model", choices=sorted(MODELS), default="mlp")
    train.add_argument(
        "--solver",
        help="softmax: sgd, gradient_descent, random_local_search, "
        "random_search (default sgd); mlp: adam, sgd, lbfgs (default adam)",
    )
    train.add_argument("--max-iter", type=int, default=200, help="epochs (default: 200)")
    train.add_argument("--learning-rate", type=_finite, help="step size (default: the model's)")
    train.add_argument("--alpha", type=_finite, default=1e-4, help="L2 penalty (default: 1e-4)")
    train.add_argument(
        "--hidden-layer-sizes",
        default=None,
        type=_sizes,
        help="mlp: comma-separated widths (default: 64,64)",
    )
    train.add_argument(
        "--activation",
        default=None,
        help="mlp: relu, tanh, logistic, softplus, leaky_relu or identity (default: relu)",
    )
    train.add_argument("--dropout", type=_finite, default=None, help="mlp (default: 0)")
    train.add_argument(
        "--batch-norm", action="store_true", default=None, help="mlp: batch normalisation"
    )
    train.add_argument(
        "--early-stopping",
        action="store_true",
        default=None,
        help="mlp: stop on a validation split",
    )
    train.add_argument(
        "--conv-layers",
        type=_conv_layers,
        default=None,
        help="cnn: channels:kernel of each block, comma-separated (default: 16:3,32:3)",
    )
    train.add_argument("--scale", action="store_true", help="standardise the features first")
    train.add_argument("--test-size", type=_fraction, default=0.25, help="(default: 0.25)")


def _add_common(parser):
    parser.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--traceback", action="store_true", help="show the whole trace of an error")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"folder for the figures (default: ./{DEFAULT_OUT})"
    )


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1; got {text!r}")
    return value


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths such as 64,32; got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"widths must be at least 1; got {text!r}")
    return sizes


def _conv_layers(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple(tuple(int(v) for v in block.split(":")) for block in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected blocks such as 16:3,32:3; got {text!r}"
        ) from None


def _playground(args, parser) -> int:
    from ml.playground import Playground  # an ImportError names the extra to install

    server = Playground(args.host, args.port, allowed_origins=args.allow_origin)
    print(f"ml playground: {server.url}  (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, [server.url]).start()
    # uvicorn holds Ctrl-C while it serves and raises it again once stopped, through the handler
    # it found; asyncio's own would only cancel a task that may have finished by then (and the
    # command would exit with 0), so the handler it finds is one that raises KeyboardInterrupt
    previous = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        server.serve_forever()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _train(args, parser) -> int:
    """``python -m ml train``: fit, print the scores, write the figures."""
    X, y = DATASETS[args.data](args.random_state)
    model = MODELS[args.model](**_train_params(args, parser))
    if args.scale:
        model = make_pipeline(StandardScaler(), model)
    print(f"ml train: {args.model} on {args.data} ({len(X)} samples)")
    model, _, _ = fit_and_score(model, X, y, args.random_state, args.test_size)
    out, stem = Path(args.out), f"{args.data}_{args.model}"
    ax = plots.plot_loss_curves(last(model).loss_curve_, title=f"{args.model} on {args.data}")
    save(ax.figure, out, f"{stem}_loss.png")
    if X.shape[1] == 2:
        save(plots.plot_decision_regions(model, X, y).figure, out, f"{stem}_regions.png")
    if args.model != "softmax":
        save(plots.plot_training(last(model))[0].figure, out, f"{stem}_training.png")
    if args.model == "cnn":
        save(plots.plot_filters(last(model)).figure, out, f"{stem}_filters.png")
    return 0


def _train_params(args, parser) -> dict:
    """The estimator's parameters from the options; an option of another model is an error."""
    params = {
        "max_iter": args.max_iter,
        "alpha": args.alpha,
        "random_state": args.random_state,
        "verbose": shows_progress(),
    }
    if args.solver is not None:
        params["solver"] = args.solver
    network_options = [
        "hidden_layer_sizes",
        "activation",
        "dropout",
        "batch_norm",
        "early_stopping",
    ]
    given = [name for name in network_options if getattr(args, name) is not None]
    if args.model == "softmax" and given:
        parser.error(f"--{given[0].replace('_', '-')} applies to --model mlp and cnn only")
    if args.model != "cnn" and args.conv_layers is not None:
        parser.error("--conv-layers applies to --model cnn only")
    if args.model == "softmax":
        if args.learning_rate is not None:
            params["learning_rate"] = args.learning_rate
    else:
        params.update(
            hidden_layer_sizes=args.hidden_layer_sizes or (64, 64),
            activation=args.activation or "relu",
            dropout=args.dropout or 0.0,
            batch_norm=bool(args.batch_norm),
            early_stopping=bool(args.early_stopping),
        )
        if args.learning_rate is not None:
            params["learning_rate_init"] = args.learning_rate
        if args.conv_layers is not None:
            params["conv_layers"] = args.conv_layers
    return params
