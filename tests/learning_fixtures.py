"""Evidence for the preference model without generating images: judgements of made-up designs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from designer_bff.db.tables import utcnow
from designer_bff.pipeline.preferences import strength
from designer_bff.services.learning import Change, Verdict


def teach(container: Any, user_id: str, features: Sequence[str], judgement: str, times: int = 1) -> None:
    """`times` judgements of designs carrying `features`, applied as the feedback service would."""
    now = utcnow()
    verdict = Verdict(judgement, strength(judgement), now)
    with container.db.session() as s:
        container.learning.apply(
            s,
            user_id,
            [Change(f"made-up-{i}", list(features), None, verdict, None, "feedback") for i in range(times)],
            now,
        )
