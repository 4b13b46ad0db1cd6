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


def test_schedules():
    assert optim.make_schedule("constant", 0.1).epoch_end(5, 1000) == 0.1
    assert optim.make_schedule("invscaling", 0.1, power_t=0.5).epoch_end(1, 99) == pytest.approx(
        0.01
    )
    step = optim.make_schedule("step", 1.0, step_size=2, gamma=0.5)
    assert [step.epoch_end(e, 0) for e in (1, 2, 3, 4)] == [1.0, 0.5, 0.5, 0.25]
    cosine = optim.make_schedule("cosine", 1.0, T_max=4)
    assert [round(cosine.epoch_end(e, 0), 6) for e in (0, 2, 4, 6)] == [1.0, 0.5, 0.0, 0.5]
    adaptive = optim.make_schedule("adaptive", 1e-5)
    assert adaptive.plateau() and adaptive.learning_rate == pytest.approx(2e-6)
    assert adaptive.plateau() and not adaptive.plateau()
    assert not optim.make_schedule("constant", 0.1).plateau()
    with pytest.raises(ValueError, match="learning_rate must be one of"):
        optim.make_schedule("exponential", 0.1)


def test_cosine_matches_pytorch():
    torch = pytest.importorskip("torch")
    w = torch.zeros(1, requires_grad=True)
    theirs = torch.optim.SGD([w], lr=0.3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10, eta_min=0.01)
    ours = optim.make_schedule("cosine", 0.3, T_max=10, eta_min=0.01)
    for epoch in range(1, 13):
        theirs.step()
        scheduler.step()
        assert ours.epoch_end(epoch, 0) == pytest.approx(theirs.param_groups[0]["lr"])


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
