"""Turns stored generations into response bodies, with asset URLs that work in a plain <img>."""

from __future__ import annotations

from typing import Any

from designer_bff.api.schemas import AssetOut, FeedbackOut, GenerationOut
from designer_bff.container import Container
from designer_bff.db.tables import GenerationAsset
from designer_bff.domain.generation import GenerationSettings
from designer_bff.services.generations import GenerationView

_COMPUTED = ("url", "thumbnail_url", "judgement")


def asset_url(container: Container, asset: GenerationAsset, kind: str) -> str:
    """Public/presigned store URL when the store gives one, else our signed route."""
    key = asset.storage_key if kind == "file" else asset.thumbnail_key
    direct = container.blobs.url(key, container.settings.url_expires_seconds)
    if direct:
        return direct
    expires, signature = container.auth.sign_asset(asset.id, kind)
    return f"/api/assets/{asset.id}/{kind}?exp={expires}&sig={signature}"


def generation_out(
    container: Container, view: GenerationView, *, include_hidden: bool = False
) -> GenerationOut:
    """The response body of one generation (hidden candidates only when asked for)."""
    g = view.generation
    planned = GenerationSettings.model_validate(g.settings).candidates_for(g.requested_count)
    shown = [a for a in view.assets if include_hidden or a.selected]
    data: dict[str, Any] = dict(g.pipeline_data or {})
    request = {k: v for k, v in dict(g.request).items() if k not in ("referenceKey",)}
    assets = [
        AssetOut.model_validate(
            {
                **{c: getattr(a, c) for c in AssetOut.model_fields if c not in _COMPUTED},
                "judgement": view.judgements.get(a.id),
                "url": asset_url(container, a, "file"),
                "thumbnail_url": asset_url(container, a, "thumbnail"),
            }
        )
        for a in shown
    ]
    return GenerationOut(
        id=g.id,
        status=g.status,
        mode=g.mode,
        requested_count=g.requested_count,
        candidate_count=len(view.assets),
        hidden_count=sum(not a.selected for a in view.assets),
        progress={"done": len(view.assets), "total": planned},
        cost_usd=g.cost_usd,
        error=g.error,
        request=request,
        settings=dict(g.settings),
        stages=data.get("stages", {}),
        warnings=list(data.get("warnings", [])) + list(g.request.get("importWarnings", [])),
        created_at=g.created_at,
        started_at=g.started_at,
        completed_at=g.completed_at,
        assets=assets,
        feedback=[FeedbackOut.model_validate(f, from_attributes=True) for f in view.feedback],
    )
