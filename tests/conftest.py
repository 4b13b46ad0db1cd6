import os

os.environ.setdefault("MPLBACKEND", "Agg")
# scikit-learn's array_api_dispatch needs SciPy's array API support, switched on before either
# is imported (the README says so too)
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
