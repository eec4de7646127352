"""`python -m designer_bff` runs the CLI."""

from designer_bff.cli import app

app()
