"""perfxl: Excel as the working front end of public-spending performance evaluation."""
__version__ = "0.1.0"


# --- lazy Python API (``import perfxl`` stays light: nothing heavy is imported until used) ---
def __getattr__(name: str):
    if name == "consolidate":
        # the submodule is callable: perfxl.consolidate(paths, ...) -> Consolidation
        from importlib import import_module

        return import_module(".consolidate", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
