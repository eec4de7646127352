"""Optional LLM prompt enhancement (stage 6), cached by input so the same prompt never pays twice."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from designer_bff.db.engine import Database
from designer_bff.db.studio import PromptCacheRepo
from designer_bff.domain.generation import GenerationPlan, PlannedImage, RoutePrompt
from designer_bff.llm.enhance import PromptEnhancer, cache_key
from designer_bff.providers.registry import ProviderRegistry

log = logging.getLogger(__name__)


class CachedEnhancer:
    """Rewrites each slot's primary prompt with the text model; answers are cached in the database."""

    def __init__(self, db: Database, enhancer: PromptEnhancer, model: str, parallelism: int = 8) -> None:
        self.db = db
        self.enhancer = enhancer
        self.model = model
        self.parallelism = parallelism

    def _one(self, item: PlannedImage, registry: ProviderRegistry) -> tuple[PlannedImage, str]:
        route = item.route or ""
        caps = registry.get(route).capabilities
        spec = item.spec
        keep = [v for v in (spec.garment.type, spec.color.primary, spec.fabric.type) if v]
        key = cache_key(item.prompt, caps.prompt_family, caps.max_prompt_length, self.model, must_keep=keep)
        with self.db.session() as s:
            cached = PromptCacheRepo(s).get(key)
        if cached is not None:
            return _with_prompt(item, route, cached), "cached"
        result = self.enhancer.enhance(
            item.prompt, family=caps.prompt_family, max_length=caps.max_prompt_length, must_keep=keep
        )
        if not result.used_model:
            return item, result.warning or "kept"
        with self.db.session() as s:
            PromptCacheRepo(s).put(key, model=self.model, family=caps.prompt_family, text=result.text)
        return _with_prompt(item, route, result.text), "enhanced"

    def enhance(
        self, plan: GenerationPlan, registry: ProviderRegistry
    ) -> tuple[GenerationPlan, dict[str, Any]]:
        """The plan with enhanced primary prompts, and counts of enhanced / cached / kept slots."""
        with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="enhance") as pool:
            results = list(pool.map(lambda item: self._one(item, registry), plan.items))
        outcomes: dict[str, int] = {}
        for _, outcome in results:
            label = outcome if outcome in ("cached", "enhanced") else "kept"
            outcomes[label] = outcomes.get(label, 0) + 1
        warnings = sorted({o for _, o in results if o not in ("cached", "enhanced", "kept")})
        return plan.model_copy(update={"items": [item for item, _ in results]}), {
            "model": self.model,
            **outcomes,
            "warnings": warnings[:5],
            "example": results[0][0].prompt if results else None,
        }


def _with_prompt(item: PlannedImage, route: str, text: str) -> PlannedImage:
    prompts = dict(item.prompts)
    prompts[route] = RoutePrompt(prompt=text, negative_prompt=item.negative_prompt)
    return item.model_copy(update={"prompt": text, "prompts": prompts})
