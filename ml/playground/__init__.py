"""The playground: a page in your browser where real ``ml`` networks learn 2-D data as you watch.

``python -m ml playground`` serves it on 127.0.0.1. :class:`Session` is one visitor's data and
network, usable without a server; :class:`Playground` (the server) and :func:`create_app` (its
ASGI application) need the ``playground`` extra: ``pip install 'ml-nn[playground]'``.
"""

from ml.playground._session import Session, check_config

__all__ = ["Playground", "Session", "check_config", "create_app"]


def __getattr__(name):
    if name in ("Playground", "create_app"):
        try:
            from ml.playground import _server  # Starlette and uvicorn: the playground extra
        except ImportError as missing:
            raise ImportError(
                f"the playground needs {missing.name}: pip install 'ml-nn[playground]'"
            ) from None
        return getattr(_server, name)
    raise AttributeError(f"module 'ml.playground' has no attribute {name!r}")
