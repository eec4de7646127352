"""Designer BFF: a self-hostable AI design studio for fashion designers."""

__version__ = "0.1.0"
