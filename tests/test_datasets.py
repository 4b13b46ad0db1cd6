import gzip

import numpy as np
import pytest

from ml import datasets


def test_twospirals_has_two_interleaved_spirals_of_n_samples_each():
    X, y = datasets.twospirals(n_samples=300, random_state=0)
    assert X.shape == (600, 2) and y.shape == (600,)
    assert np.bincount(y).tolist() == [300, 300]
    radius = np.linalg.norm(X, axis=1)
    assert radius.max() < 15 and radius.max() > 10
    X_noiseless, _ = datasets.twospirals(n_samples=300, noise=0, random_state=0)
    np.testing.assert_allclose(X_noiseless[:300], -X_noiseless[300:])


@pytest.mark.parametrize(
    "make",
    [
        datasets.twospirals,
        datasets.xor,
        datasets.circles,
        datasets.moons,
        datasets.plane,
        datasets.bumps,
    ],
)
def test_generators_are_reproducible(make):
    first, second, other = make(random_state=1), make(random_state=1), make(random_state=2)
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], other[0])


def test_xor_labels():
    X, y = datasets.xor(200, random_state=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))


def test_circles_and_blobs():
    X, y = datasets.circles(100, noise=0.0, random_state=0)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)
    X, y = datasets.blobs()
    assert X.shape == (1500, 2) and set(y) == {0, 1, 2}


def test_moons_and_regression_sets():
    X, y = datasets.moons(200, noise=0.0, random_state=0)
    assert X.shape == (200, 2) and np.bincount(y).tolist() == [100, 100]
    X, y = datasets.plane(300, random_state=0)
    assert y.dtype.kind == "f" and np.abs(X).max() <= 1
    np.testing.assert_allclose(y, X.sum(axis=1) / 2)
    X, y = datasets.bumps(300, random_state=0)
    assert y.max() > 0.5 and y.min() < -0.5 and np.abs(y).max() <= 1
    _, noisy = datasets.bumps(300, noise=0.1, random_state=0)
    assert 0.05 < np.std(noisy - y) < 0.2


def test_load_digits_flat_and_as_images():
    X, y = datasets.load_digits()
    images, labels = datasets.load_digits(images=True)
    assert X.shape == (1797, 64) and images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    np.testing.assert_array_equal(y, labels)


def _write_idx(path, array, type_code=0x08, opener=open):
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.mark.parametrize("compressed", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, compressed):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    suffix, opener = (".gz", gzip.open) if compressed else ("", open)
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images, opener=opener)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels, opener=opener)
    X, y = datasets.load_mnist(tmp_path, kind="test")
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64 and X.flags.writeable


def test_read_idx_other_types(tmp_path):
    values = np.arange(6, dtype=">f4").reshape(2, 3)
    _write_idx(tmp_path / "floats", values, type_code=0x0D)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "floats"), values)


def test_read_idx_rejects_broken_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp_path / "junk")
    _write_idx(tmp_path / "short", np.zeros((4, 4), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match="declares shape \\(4, 4\\)"):
        datasets.read_idx(tmp_path / "short")
    huge = bytes([0, 0, 0x08, 3]) + np.array([60000, 60000, 60000], ">u4").tobytes()
    (tmp_path / "huge").write_bytes(huge)
    with pytest.raises(ValueError, match="declares shape"):
        datasets.read_idx(tmp_path / "huge")


def test_load_mnist_errors(tmp_path):
    with pytest.raises(ValueError, match="kind must be"):
        datasets.load_mnist(tmp_path, kind="validation")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        datasets.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        datasets.load_mnist(tmp_path / "missing")


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: datasets.twospirals(n_samples=0), ValueError, "n_samples"),
        (lambda: datasets.twospirals(noise=-1), ValueError, "noise"),
        (lambda: datasets.xor(n_samples=2.5), TypeError, "n_samples"),
        (lambda: datasets.circles(factor=1.5), ValueError, "factor"),
        (lambda: datasets.blobs(n_classes=0), ValueError, "n_classes"),
    ],
)
def test_generators_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_read_idx_refuses_what_is_no_regular_file_without_blocking(tmp_path):
    import os
    import threading

    fifo = tmp_path / "labels-idx1-ubyte"
    os.mkfifo(fifo)
    outcome = []

    def read():
        try:
            datasets.read_idx(fifo)
        except ValueError as error:
            outcome.append(str(error))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)  # a state, not a time: a read that blocks never ends
    assert outcome and "is not a regular file" in outcome[0]
    with pytest.raises(ValueError, match="is not a regular file"):
        datasets.read_idx(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.read_idx(tmp_path / "missing")


def test_read_idx_checks_dimensions_and_labels_by_name(tmp_path):
    deep = tmp_path / "deep"
    deep.write_bytes(bytes([0, 0, 0x08, 70]) + b"\0\0\0\1" * 70 + b"\0")
    with pytest.raises(ValueError, match="deep.*declares 70 dimensions"):
        datasets.read_idx(deep)
    images = np.zeros((2, 28, 28), np.uint8)
    for name, labels in [("nan", [np.nan, 1.0]), ("huge", [3e38, 1.0]), ("negative", [-1, 1])]:
        folder = tmp_path / name
        folder.mkdir()
        _write_idx(folder / "train-images-idx3-ubyte", images)
        _write_idx(folder / "train-labels-idx1-ubyte", np.array(labels, ">f4"), type_code=0x0D)
        with pytest.raises(ValueError, match="labels must be"):
            datasets.load_mnist(folder)


def test_read_idx_peaks_at_the_data_it_declares(tmp_path):
    import tracemalloc

    big = np.arange(4_000_000, dtype=">i4")  # 16 MB, big-endian: swapped in place
    _write_idx(tmp_path / "big.gz", big, type_code=0x0C, opener=gzip.open)
    tracemalloc.start()
    array = datasets.read_idx(tmp_path / "big.gz")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_array_equal(array, np.arange(4_000_000))
    assert array.dtype == np.int32 and array.dtype.isnative
    assert peak < 1.25 * big.nbytes
