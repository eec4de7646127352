"""README stays current: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices

from designer_bff.config import Settings


def test_every_setting_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if isinstance(alias, AliasChoices) else f"DESIGNER_BFF_{name.upper()}"
        assert f"`{env}`" in readme, f"{env} missing from README settings table"
        assert field.description, f"setting {name} has no description"
