"""Clients for text and vision models behind any OpenAI-compatible chat API (OpenAI, Ollama, vLLM)."""
