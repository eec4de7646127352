"""Local fake servers that speak vendors' HTTP APIs, for adapter tests through the official SDKs."""
