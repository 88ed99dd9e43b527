"""perfxl: Excel as the working front end of public-spending performance evaluation.

The Python API is ``perfxl.api``, re-exported here lazily (``import perfxl`` imports nothing heavy):
``validate_file``, ``score_file``, ``make_template``, ``fill``, ``consolidate``, ``report`` and
``UnusableInput``.
"""
__version__ = "0.1.0"

_API = ("validate_file", "score_file", "make_template", "fill", "consolidate", "report", "score_book",
        "UnusableInput")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from perfxl import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
