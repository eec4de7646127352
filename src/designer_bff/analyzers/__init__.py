"""Stage 1 analysers: image → canonical spec fragment with a confidence per attribute."""
