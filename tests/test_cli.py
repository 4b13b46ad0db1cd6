import subprocess
import sys

import pytest

from ml.cli import main

FIGURES = [
    "activations.png",
    "blobs_softmax.png",
    "cnn_feature_maps.png",
    "cnn_filters.png",
    "digits_mlp_training.png",
    "digits_predictions.png",
    "loss_curves.png",
    "spirals_mlp.png",
    "spirals_softmax.png",
]


def test_demo_prints_results_and_writes_figures(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "softmax classifier (sgd)" in printed and "MLP (64, 64, 64) adam" in printed
    assert "CNN (16, 32) adam" in printed and "shifted by up to 2 pixels" in printed
    assert "gradient descent" in printed and str(tmp_path) in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == FIGURES
    for name in FIGURES:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_writes_loss_curve_and_regions(tmp_path, capsys):
    args = ["train", "--data", "spirals", "--model", "softmax", "--max-iter", "20"]
    assert main([*args, "--learning-rate", "0.1", "--out", str(tmp_path)]) == 0
    assert "softmax on spirals" in capsys.readouterr().out
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"spirals_softmax_loss.png", "spirals_softmax_regions.png"}


def test_train_an_mlp_with_every_option(tmp_path, capsys):
    args = [
        "train",
        "--data",
        "xor",
        "--hidden-layer-sizes",
        "16,8",
        "--activation",
        "tanh",
        "--dropout",
        "0.1",
        "--batch-norm",
        "--early-stopping",
        "--scale",
        "--solver",
        "sgd",
        "--learning-rate",
        "0.05",
        "--max-iter",
        "30",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    assert "MLP (16, 8) sgd" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == {
        "xor_mlp_loss.png",
        "xor_mlp_regions.png",
        "xor_mlp_training.png",
    }


def test_train_a_cnn(tmp_path, capsys):
    args = ["train", "--model", "cnn", "--conv-layers", "4:3", "--max-iter", "3"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    assert "CNN (4,) adam" in capsys.readouterr().out
    assert "digits_cnn_filters.png" in {p.name for p in tmp_path.iterdir()}


def test_network_options_are_refused_where_they_do_not_apply(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--model", "softmax", "--dropout", "0.2", "--out", str(tmp_path)])
    assert "--dropout applies to --model mlp and cnn only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--model", "mlp", "--conv-layers", "8:3", "--out", str(tmp_path)])
    assert "--conv-layers applies to --model cnn only" in capsys.readouterr().err


def test_bad_hyper_parameter_is_reported(tmp_path):
    with pytest.raises(ValueError, match="learning_rate must be"):
        main(
            ["train", "--model", "softmax", "--learning-rate", "-1", "--out", str(tmp_path)]
            + ["--traceback"]
        )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--max-iter", "-1"], "max_iter must be an int >= 1"),
        (["--dropout", "1.5"], "dropout must be a number >= 0 and < 1"),
        (["--activation", "relux"], "activation must be one of"),
        (["--model", "mlp", "--learning-rate", "1e300", "--max-iter", "3"], "non-finite"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")  # the diverging run
def test_errors_are_one_line_and_exit_status_2(tmp_path, capsys, arguments, message):
    assert main(["train", "--data", "xor", *arguments, "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and err.startswith("python -m ml: error")


@pytest.mark.parametrize("arguments", [["--hidden-layer-sizes", "64,,64"], ["--test-size", "1.5"]])
def test_malformed_arguments_are_refused_by_the_parser(tmp_path, arguments):
    with pytest.raises(SystemExit) as exit_:
        main(["train", *arguments, "--out", str(tmp_path)])
    assert exit_.value.code == 2


def test_out_creates_one_folder_level_at_most(tmp_path, capsys):
    deep = tmp_path / "missing" / "figures"
    assert main(["train", "--data", "xor", "--max-iter", "2", "--out", str(deep)]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "missing").exists()
    (tmp_path / "file").write_text("")
    assert main(["train", "--data", "xor", "--max-iter", "2", "--out", str(tmp_path / "file")]) == 2


def test_python_dash_m_ml_help():
    result = subprocess.run(
        [sys.executable, "-m", "ml", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in result.stdout and "train" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "ml", "train", "--help"], capture_output=True, text=True, check=True
    )
    assert "--learning-rate" in result.stdout and "--data" in result.stdout


def test_unknown_command_fails_with_usage():
    result = subprocess.run([sys.executable, "-m", "ml", "fly"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr


@pytest.mark.parametrize(
    "raised, status, line",
    [
        (MemoryError(), 2, "python -m ml: error: out of memory"),
        (OverflowError("too big"), 2, "python -m ml: error: OverflowError: too big"),
        (IndexError("list index out of range"), 2, "python -m ml: error: IndexError: list"),
        (KeyboardInterrupt(), 130, "python -m ml: interrupted"),
    ],
)
def test_every_error_is_one_line_and_no_warning_comes_before_it(
    tmp_path, capsys, monkeypatch, raised, status, line
):
    import warnings

    import ml.cli

    def failing(model, *args, **kwargs):
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
        raise raised

    monkeypatch.setattr(ml.cli.MLPClassifier, "fit", failing)
    args = ["train", "--data", "spirals", "--model", "mlp", "--out", str(tmp_path)]
    assert main(args) == status
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and err.startswith(line)


def test_a_run_that_succeeds_still_shows_its_warnings(tmp_path, capsys, monkeypatch):
    import warnings

    import ml.cli

    fit = ml.cli.SoftmaxClassifier.fit

    def warning_fit(model, *args, **kwargs):
        warnings.warn("something to know", UserWarning, stacklevel=1)
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(ml.cli.SoftmaxClassifier, "fit", warning_fit)
    args = ["train", "--data", "spirals", "--model", "softmax", "--max-iter", "0"]
    with pytest.warns(UserWarning, match="something to know"):
        assert main([*args, "--out", str(tmp_path)]) == 0
    assert "0 iterations" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--learning-rate", "--alpha", "--dropout"])
@pytest.mark.parametrize("value", ["inf", "nan", "lots"])
def test_a_number_option_refuses_what_is_no_finite_number_by_name(capsys, option, value):
    with pytest.raises(SystemExit) as stopped:
        main(["train", "--data", "xor", option, value])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: must be a" in err and "Warning" not in err


def test_a_port_out_of_range_is_refused_by_name(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["playground", "--port", "70000", "--no-browser"])
    assert stopped.value.code == 2
    assert "argument --port: must be 0 to 65535; got 70000" in capsys.readouterr().err
