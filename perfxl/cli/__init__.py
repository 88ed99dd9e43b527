"""The command line (``perfxl``)."""
from perfxl.cli.app import main

__all__ = ["main"]
