"""The progress bar every loop of the package shows: tqdm, switched off by ``verbose=False``."""

from tqdm.auto import tqdm


def progress(iterable, *, verbose: bool, desc: str, total: int | None = None, unit: str = "it"):
    """Wrap ``iterable`` in a tqdm bar when ``verbose``, else return a tqdm that draws nothing."""
    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=not verbose, leave=False)
