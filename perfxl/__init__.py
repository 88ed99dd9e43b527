"""perfxl: Excel as the working front end of public-spending performance evaluation.

The Python API is ``perfxl.api``, re-exported here lazily (``import perfxl`` imports nothing heavy):
``validate_file``, ``score_file``, ``make_template``, ``fill``, ``consolidate``, ``report``,
``report_each`` and ``UnusableInput``.
"""
__version__ = "0.1.0"

_API = ("validate_file", "score_file", "make_template", "fill", "consolidate", "report", "report_each", "score_book",
        "UnusableInput")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from perfxl import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Subpackage:
    """``perfxl.report`` once a module of the package perfxl.report is imported (Python then sets the
    package as the attribute, hiding the API function of the same name): callable as that function,
    its other attributes the package's (``perfxl.report.document.render``)."""

    def __init__(self, name: str, package) -> None:
        self._name, self._package = name, package

    def __call__(self, *args, **kwargs):
        from perfxl import api

        return getattr(api, self._name)(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._package, name)


def _keep_api_callable() -> None:
    import sys
    import types

    class _Package(types.ModuleType):
        def __setattr__(self, name: str, value) -> None:
            if name in _API and isinstance(value, types.ModuleType):
                value = _Subpackage(name, value)
            super().__setattr__(name, value)

    sys.modules[__name__].__class__ = _Package


_keep_api_callable()
