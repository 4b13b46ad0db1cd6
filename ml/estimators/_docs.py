"""The parameters and attributes that the network estimators share, documented once."""

_SHARED_PARAMETERS = """
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : str or list of str, default="relu"
        "relu", "tanh", "logistic" (or "sigmoid"), "identity", "softplus", "leaky_relu"; one for
        all hidden layers or one per layer.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
    alpha : float, default=1e-4
        L2 penalty ``alpha / (2 n) sum ||W||^2`` on the weights of a batch of ``n`` samples.
    batch_size : int or "auto", default="auto"
        ``min(200, n_samples)`` for "auto".
    learning_rate : {"constant", "invscaling", "adaptive", "step", "cosine"}, default="constant"
        Schedule of the learning rate, for "sgd" and "adam". "invscaling": ``learning_rate_init /
        (t + 1)^power_t`` after ``t`` samples; "adaptive": divided by 5 on each plateau; "step":
        divided by 10 every ``max_iter // 3`` epochs; "cosine": annealed to 0 over ``max_iter``.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs for "sgd" and "adam", iterations for "lbfgs".
    shuffle : bool, default=True
    random_state : None, int or Generator, default=None
    tol : float, default=1e-4
    verbose : bool, default=False
        Show a progress bar with the epoch and the loss.
    warm_start : bool, default=False
        ``fit`` continues from the current weights.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score stops improving and
        restore the weights of the best score.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Loss evaluations of "lbfgs".
    dropout : float or list of float, default=0.0
        Probability of dropping a hidden unit in training, for all hidden layers or per layer.
    batch_norm : bool, default=False
        Batch normalisation before each hidden activation.
    callbacks : list, default=None
        :class:`ml.train.Callback` objects, or functions ``f(model, epoch, history)`` called after
        every epoch (returning True stops training).
    dtype : {"float32", "float64"} or None, default=None
        Floating-point type of the weights and the training; None follows ``X`` as
        scikit-learn does (float32 data gives float32 weights, anything else float64).
    device : None, str or torch.device, default=None
        Where to compute: None where X lives (NumPy on the CPU; with scikit-learn's
        ``array_api_dispatch``, a torch tensor's or CuPy array's device). "cuda", "cuda:1" or
        "mps" train on that GPU through PyTorch (or CuPy for CUDA) and give NumPy results for
        NumPy input; "cpu" computes on the CPU.
"""

_SHARED_ATTRIBUTES = """
    coefs_, intercepts_ : list of ndarray
        Weights and biases of each Dense layer.
    loss_ : float
    loss_curve_ : list of float
    best_loss_ : float or None
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    trainer_ : ml.train.Trainer
        What training leaves behind: the optimizer (with the current learning rate), the
        schedule, the history and the random generator; ``trainer_.state_dict()`` holds it all.
    history_ : ml.train.History
        ``trainer_.history``. Per epoch: training loss, validation loss and score, learning rate.
    n_iter_, t_ : int
        Epochs (or L-BFGS iterations) and training samples seen.
    n_layers_, n_outputs_ : int
    out_activation_ : str
    n_features_in_ : int
    network_ : ml.nn.Sequential
"""


def shared_parameters(*left_out: str) -> str:
    """``_SHARED_PARAMETERS`` without the entries named ``left_out`` (which a docstring then
    gives its own way)."""
    entries, keep = [], True
    for line in _SHARED_PARAMETERS.split("\n"):
        if line.startswith("    ") and not line.startswith("        "):  # an entry's first line
            keep = line.split(" : ")[0].strip() not in left_out
        if keep:
            entries.append(line)
    return "\n".join(entries)


_CLASS_WEIGHT = """    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
"""
_REGRESSION_LOSS = """
    loss : {"squared_error", "poisson"}, default="squared_error"
        Half the squared error, or the Poisson deviance (an ``exp`` output, for counts)."""
