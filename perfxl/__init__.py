"""perfxl: Excel as the working front end of public-spending performance evaluation."""
__version__ = "0.1.0"


# --- lazy Python API (``import perfxl`` stays light: nothing heavy is imported until used) ---
def __getattr__(name: str):
    if name == "consolidate":
        from perfxl.batch.consolidate import consolidate

        return consolidate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
