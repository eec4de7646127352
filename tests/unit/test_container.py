"""The composition root builds the configured image embedder."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from designer_bff.config import Settings
from designer_bff.container import Container
from designer_bff.errors import ConfigurationError


def test_default_features_are_attributes_plus_offline_image(make_settings: Callable[..., Settings]) -> None:
    embedder = Container(make_settings()).embedder
    assert "attributes" in embedder.name and "offline-image" in embedder.name


def test_efficientnet_is_chosen_by_settings(make_settings: Callable[..., Settings]) -> None:
    pytest.importorskip("torch")  # the `ml` extra; `make test` installs it
    embedder = Container(make_settings(image_embedder="efficientnet")).embedder
    assert "efficientnet-lite0" in embedder.name


def test_clip_needs_a_weights_directory(make_settings: Callable[..., Settings]) -> None:
    from designer_bff.config import load_settings

    with pytest.raises(ConfigurationError, match="CLIP_WEIGHTS_DIR"):
        load_settings(image_embedder="clip", _env_file=None)
