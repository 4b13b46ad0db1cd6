"""Update rules, schedules and L-BFGS: against their formulas and, where installed, PyTorch."""

import numpy as np
import pytest

from ml import optim

A = np.diag([1.0, 10.0])
START = np.array([[3.0, -2.0]])


def _run(optimizer, steps=5):
    """Minimise 0.5 w A w^T from START; return the iterates."""
    w = START.copy()
    path = []
    for _ in range(steps):
        optimizer.step([w], [w @ A])
        path.append(w.copy())
    return np.array(path)


def test_plain_sgd_is_w_minus_lr_g():
    path = _run(optim.SGD(0.05), steps=1)
    np.testing.assert_allclose(path[0], START - 0.05 * START @ A)


def test_momentum_and_nesterov_by_hand():
    mu, lr = 0.9, 0.05
    g1 = START @ A
    v1 = -lr * g1
    w1 = START + v1
    g2 = w1 @ A
    v2 = mu * v1 - lr * g2
    np.testing.assert_allclose(_run(optim.SGD(lr, momentum=mu), 2)[-1], w1 + v2)
    w1_nesterov = START + mu * v1 - lr * g1
    np.testing.assert_allclose(_run(optim.SGD(lr, momentum=mu, nesterov=True), 1)[0], w1_nesterov)


@pytest.mark.parametrize(
    "optimizer",
    [optim.SGD(0.05, momentum=0.9, nesterov=True), optim.Adam(0.1), optim.RMSProp(0.01)],
)
def test_every_optimizer_reaches_the_minimum(optimizer):
    assert np.abs(_run(optimizer, steps=500)[-1]).max() < 1e-2


def test_optimizers_match_pytorch():
    torch = pytest.importorskip("torch")
    pairs = [
        (optim.SGD(0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
        (optim.SGD(0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        (
            optim.SGD(0.05, momentum=0.9, nesterov=True),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        ),
        (optim.Adam(0.1), lambda p: torch.optim.Adam(p, lr=0.1)),
        (optim.RMSProp(0.01), lambda p: torch.optim.RMSprop(p, lr=0.01)),
    ]
    A_t = torch.tensor(A)
    for ours, make_theirs in pairs:
        w = torch.tensor(START, requires_grad=True)
        theirs = make_theirs([w])
        expected = []
        for _ in range(20):
            theirs.zero_grad()
            (0.5 * w @ A_t @ w.T).sum().backward()
            theirs.step()
            expected.append(w.detach().numpy().copy())
        np.testing.assert_allclose(_run(ours, 20), np.array(expected), rtol=1e-10, atol=1e-12)


def test_optimizers_reject_bad_hyper_parameters():
    with pytest.raises(ValueError, match="learning_rate must be a number > 0"):
        optim.SGD(-1.0)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="beta_1"):
        optim.Adam(beta_1=1.0)


def _rates(schedule, epochs, samples=0):
    """The optimizer's rate after each of ``epochs``, as the schedule sets it."""
    rates = []
    for epoch in epochs:
        schedule.epoch_end(epoch, samples)
        rates.append(schedule.optimizer.learning_rate)
    return rates


def test_schedules_set_the_optimizers_rate():
    assert _rates(optim.make_schedule("constant", optim.SGD(0.1)), [5], 1000) == [0.1]
    invscaling = optim.make_schedule("invscaling", optim.SGD(0.1), power_t=0.5)
    assert _rates(invscaling, [1], 99) == [pytest.approx(0.01)]
    step = optim.make_schedule("step", optim.SGD(1.0), step_size=2, gamma=0.5)
    assert _rates(step, (1, 2, 3, 4)) == [1.0, 0.5, 0.5, 0.25]
    cosine = optim.make_schedule("cosine", optim.Adam(1.0), T_max=4)
    assert [round(r, 6) for r in _rates(cosine, (0, 2, 4, 6))] == [1.0, 0.5, 0.0, 0.5]
    sgd = optim.SGD(1e-5)
    adaptive = optim.make_schedule("adaptive", sgd)
    assert adaptive.plateau() and sgd.learning_rate == pytest.approx(2e-6)
    assert adaptive.plateau() and not adaptive.plateau()
    assert not optim.make_schedule("constant", optim.SGD(0.1)).plateau()
    assert "learning_rate" not in vars(adaptive)  # the current rate is the optimizer's alone
    with pytest.raises(ValueError, match="learning_rate must be one of"):
        optim.make_schedule("exponential", optim.SGD(0.1))
    with pytest.raises(TypeError, match="optimizer must be an ml.optim optimizer"):
        optim.make_schedule("constant", 0.1)


def test_cosine_matches_pytorch():
    torch = pytest.importorskip("torch")
    w = torch.zeros(1, requires_grad=True)
    theirs = torch.optim.SGD([w], lr=0.3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10, eta_min=0.01)
    ours = optim.make_schedule("cosine", optim.SGD(0.3), T_max=10, eta_min=0.01)
    for epoch in range(1, 13):
        theirs.step()
        scheduler.step()
        ours.epoch_end(epoch, 0)
        assert ours.optimizer.learning_rate == pytest.approx(theirs.param_groups[0]["lr"])


def test_lbfgs_minimises_in_place_and_records_the_losses():
    W, b = np.array([[4.0, -3.0]]), np.array([2.0])

    def loss_and_gradients():
        return 0.5 * (W @ A @ W.T).item() + 0.5 * float(b @ b), [W @ A, b.copy()]

    params_before = [W, b]
    result, losses = optim.minimize_lbfgs(loss_and_gradients, [W, b], max_iter=100, tol=1e-10)
    assert result.success and params_before[0] is W
    np.testing.assert_allclose(W, 0, atol=1e-6)
    np.testing.assert_allclose(b, 0, atol=1e-6)
    assert len(losses) == result.nit and losses[-1] < 1e-10


@pytest.mark.parametrize(
    "make",
    [
        lambda: optim.SGD(0.05, momentum=0.9, nesterov=True),
        lambda: optim.Adam(0.1, beta_1=0.8),
        lambda: optim.RMSProp(0.01, rho=0.9),
    ],
)
def test_state_dict_continues_exactly_and_copies_its_arrays(make):
    """PyTorch's convention: a fresh optimizer given state_dict() steps as the original would."""
    original = make()
    _run(original, steps=3)
    state = original.state_dict()
    restored = make()
    restored.load_state_dict(state)
    first, second = START.copy(), START.copy()
    original.step([first], [first @ A])
    restored.step([second], [second @ A])
    np.testing.assert_array_equal(first, second)
    assert restored.t == original.t == 4
    for mine, theirs in zip(restored.state, original.state, strict=True):
        assert all(mine[k] is not theirs[k] for k in mine)  # copied, never shared


def test_load_state_dict_checks_what_it_is_given():
    adam = optim.Adam()
    good = optim.Adam().state_dict()
    with pytest.raises(ValueError, match="keys"):
        adam.load_state_dict({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="learning_rate"):
        adam.load_state_dict({**good, "learning_rate": -1.0})
    with pytest.raises(ValueError, match="finite floats"):
        adam.load_state_dict({**good, "state": [{"m": np.array([np.nan])}]})
    with pytest.raises(ValueError, match="named"):
        adam.load_state_dict({**good, "state": [{"velocity": np.zeros(2)}]})
    adam.load_state_dict({**good, "t": 1, "state": [{"m": np.zeros((20, 1)), "v": np.ones(1)}]})
    with pytest.raises(ValueError, match="shape"):  # never broadcast a state onto a parameter
        adam.step([np.zeros(20)], [np.ones(20)])


@pytest.mark.parametrize("name", sorted(optim.SCHEDULES))
def test_schedules_state_dict_round_trip(name):
    schedule = optim.make_schedule(name, optim.SGD(0.1))
    for epoch in range(1, 4):
        schedule.epoch_end(epoch, 100 * epoch)
    schedule.plateau()
    restored = optim.make_schedule(name, optim.SGD(0.1))
    restored.load_state_dict(schedule.state_dict())
    restored.optimizer.learning_rate = schedule.optimizer.learning_rate
    assert restored.state_dict() == schedule.state_dict()
    assert _rates(restored, [4], 400) == _rates(schedule, [4], 400)
    with pytest.raises(ValueError, match="learning_rate_init"):
        restored.load_state_dict({**schedule.state_dict(), "learning_rate_init": float("inf")})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1000, 100_000])  # NumPy's passes; NumPy's BLAS for the sums
@pytest.mark.parametrize("blas", [True, False])  # False: as where NumPy has another BLAS
def test_adams_numpy_fast_path_is_the_formula(dtype, n, blas, monkeypatch):
    """Adam's NumPy step (its sums one BLAS call each for large arrays, the rest written into
    one scratch array) gives the formula's numbers: exactly with NumPy's passes, to rounding
    (a fused multiply-add rounds once) with BLAS."""
    from ml import backend
    from ml.optim.optimizers import _adam, _adam_in_place

    if not blas:
        monkeypatch.setattr(backend, "blas_routines", lambda: None)
    rng = np.random.default_rng(0)
    plain = [rng.standard_normal(n).astype(dtype), np.zeros(n, dtype), np.zeros(n, dtype)]
    fast = [a.copy() for a in plain]
    for t in range(1, 6):
        g = rng.standard_normal(n).astype(dtype)
        rates = (0.9, 0.999, 1e-3 * (1 - 0.999**t) ** 0.5 / (1 - 0.9**t), 1e-8)
        _adam(*rates, plain[0], g, plain[1], plain[2])
        _adam_in_place(*rates, fast[0], g, fast[1], fast[2])
        for a, b in zip(plain, fast, strict=True):
            if n < 32_768 or not blas:
                np.testing.assert_array_equal(a, b)
            else:
                eps = np.finfo(dtype).eps
                np.testing.assert_allclose(b, a, rtol=16 * eps, atol=16 * eps * np.abs(a).max())
            assert b.dtype == dtype


def _subnormal(a):
    return int(((a != 0) & (np.abs(a) < np.finfo(a.dtype).smallest_normal)).sum())


@pytest.mark.parametrize(
    "make",
    [
        lambda: optim.SGD(0.01, momentum=0.9),
        lambda: optim.RMSProp(0.01, rho=0.9),
        lambda: optim.Adam(1e-3),
    ],
    ids=["momentum", "rmsprop", "adam"],
)
def test_kept_arrays_never_become_subnormal_and_the_weights_stay_the_formulas(make):
    """Half the weights get a gradient of 0 after 50 steps, so their velocities or moments
    shrink towards subnormal numbers (slow on CPUs): the optimizer sets them to 0 before, and
    its weights stay bit for bit those of the formula without the flush."""
    rng = np.random.default_rng(0)
    flushing = make()
    plain = make()
    plain._decays = ()  # the formula as it reads, without the flush
    w = rng.standard_normal(1000).astype(np.float32)
    weights = [w.copy(), w.copy()]
    for t in range(1600):
        g = (1e-3 * rng.standard_normal(1000)).astype(np.float32)
        if t >= 50:
            g[::2] = 0
        for optimizer, weight in zip((flushing, plain), weights, strict=True):
            optimizer.step([weight], [g])
    kept = [(flushing.state[0][name], plain.state[0][name]) for name in flushing.state[0]]
    assert sum(_subnormal(b) for _, b in kept) > 0  # what the flush is for
    assert sum(_subnormal(a) for a, _ in kept) == 0
    np.testing.assert_array_equal(weights[0], weights[1])
    for a, b in kept:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-33)


def test_a_flat_networks_moments_are_flushed_too():
    """With the network's parameters in one flat buffer (``flatten``), the moments are views
    of flat buffers of their own, and the flush reaches them."""
    from ml import nn

    network = nn.Sequential(nn.Dense(4, 3, random_state=0), nn.Dense(3, 2, random_state=1))
    optimizer = optim.Adam()
    optimizer.flatten(network)
    layers = [layer for layer in network.all_layers() if layer.params]
    for t in range(900):
        for layer in layers:
            for grad in layer.grads.values():
                grad[...] = 0.1 if t < 10 else 0.0
        optimizer.step(
            [p for layer in layers for p in layer.params.values()],
            [layer.grads[name] for layer in layers for name in layer.params],
        )
    moments = [a for state in optimizer.state for a in state.values()]
    assert all(a.base is not None for a in moments)  # views of the flat buffers
    assert all(_subnormal(a) == 0 for a in moments)
    assert all((a == 0).all() for a in moments[::2])  # m shrank below the bound, and is 0


@pytest.mark.parametrize(
    "make", [lambda: optim.SGD(0.01, momentum=0.9), lambda: optim.Adam(1e-2)], ids=["sgd", "adam"]
)
def test_a_flat_network_lays_each_name_together_and_steps_as_the_arrays_one_by_one(make):
    """``flatten`` puts every weight matrix before every bias (arrays of one name together, so
    the L2 penalty of all the weights is one pass), its moments are laid out as its parameters,
    and its steps are those of the same optimizer on the arrays one by one."""
    from ml import nn
    from ml.backend import joined

    def network():
        return nn.Sequential(
            nn.Dense(4, 3, random_state=0),
            nn.ReLU(),
            nn.BatchNorm1d(3),
            nn.Dense(3, 2, random_state=1),
        )

    flat_net, plain_net = network(), network()
    flat, plain = make(), make()
    flat.flatten(flat_net)
    weights = [layer.params["W"] for layer in flat_net.all_layers() if "W" in layer.params]
    biases = [layer.params["b"] for layer in flat_net.all_layers() if "b" in layer.params]
    assert joined(weights) is not None and joined(biases) is not None
    gradients = [layer.grads["W"] for layer in flat_net.all_layers() if "W" in layer.params]
    assert joined(gradients) is not None
    rng = np.random.default_rng(0)
    for _ in range(5):
        grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in plain_net.parameters()]
        for held, grad in zip(flat_net.gradients(), grads, strict=True):
            held[...] = grad
        flat.step(flat_net.parameters(), flat_net.gradients())
        plain.step(plain_net.parameters(), grads)
    for a, b in zip(flat_net.parameters(), plain_net.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for a, b in zip(flat.state, plain.state, strict=True):
        for name in a:
            np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-7)


def test_the_flush_period_follows_a_changed_decay_rate():
    """The period is worked out once per set of rates: a rate changed between steps (by hand,
    or by load_state_dict) gives the new rate's period at the next step."""
    optimizer = optim.SGD(0.01, momentum=0.9)
    assert optimizer._flush_period() == int(16 / -np.log2(0.9))
    optimizer.momentum = 0.5
    assert optimizer._flush_period() == 16
    optimizer.momentum = 0.0
    assert optimizer._flush_period() == 0
    optimizer.load_state_dict(optim.SGD(0.01, momentum=0.99).state_dict())
    assert optimizer._flush_period() == int(16 / -np.log2(0.99))
