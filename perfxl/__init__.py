"""perfxl: Excel as the working front end of public-spending performance evaluation."""
__version__ = "0.1.0"
