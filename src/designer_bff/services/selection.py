"""Batch selection (stages 12–14 at the edges): cluster the candidates, pick N by DPP, measure coverage,
and keep the user's coverage gaps up to date so the next batch can boost what this one missed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from designer_bff.db.engine import Database
from designer_bff.db.repositories import Assets, Coverage, Generations
from designer_bff.db.tables import CoverageGap, CoverageReport, GenerationAsset, GenerationCluster, utcnow
from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline import coverage as coverage_stage
from designer_bff.pipeline.clustering import cluster
from designer_bff.pipeline.diversity import select
from designer_bff.pipeline.embedding import stack_blobs
from designer_bff.pipeline.preferences import PreferenceModel, features_of
from designer_bff.pipeline.run import StageRecorder
from designer_bff.services.coverage import user_coverage
from designer_bff.services.learning import LearningService


@dataclass(frozen=True)
class SelectionParams:
    """How a batch is reduced to the kept N."""

    keep: int
    tradeoff: float
    k_range: tuple[int, int]
    seed: int


def _attributes(asset: GenerationAsset) -> dict[str, str]:
    return GarmentSpec.model_validate(asset.spec).attributes()


def _features(asset: GenerationAsset, item: dict[str, Any]) -> list[str]:
    """The preference-model features of a candidate: its spec, modifiers, route, persona, direction."""
    return features_of(
        asset.spec,
        modifiers=item.get("modifiers") or (),
        route=f"{asset.provider}:{asset.model}",
        persona=item.get("personaName"),
        direction=item.get("direction"),
    )


class BatchSelector:
    """Chooses which of a generation's candidates the designer sees, and records why."""

    def __init__(self, db: Database, learning: LearningService | None = None) -> None:
        self.db = db
        self.learning = learning

    def run(self, generation_id: str, params: SelectionParams, recorder: StageRecorder) -> dict[str, Any]:
        """Cluster, select and measure coverage for a fully generated batch (idempotent on re-runs)."""
        with self.db.session() as s:
            generation = Generations(s).get(generation_id, user_id=None)
            user_id = generation.user_id
            plan_items = (generation.pipeline_data or {}).get("plan", {}).get("items", [])
            assets = list(Assets(s).for_generation(generation_id))
            config = user_coverage(Coverage(s).settings(user_id))
        # Vectors are comparable only within one feature space: a job resumed after the deployment
        # switched embedders keeps to the space most of its candidates were embedded in.
        models = Counter(a.embedding_model for a in assets if a.embedding is not None)
        space = models.most_common(1)[0][0] if models else None
        candidates = [
            a
            for a in assets
            if a.verdict != "rejected" and a.embedding is not None and a.embedding_model == space
        ]
        keep = min(params.keep, len(candidates))
        attributes = [_attributes(a) for a in candidates]
        item_of = {item["slot"]: item for item in plan_items}
        features = {a.id: _features(a, item_of.get(a.slot, {})) for a in assets}
        model = self.learning.model(user_id) if self.learning else PreferenceModel()
        summary: dict[str, Any] = {"candidates": len(assets), "eligible": len(candidates), "kept": keep}
        labels: list[int] = [0] * len(candidates)
        picks: list[int] = []
        gains: list[float] = []
        clusters: list[GenerationCluster] = []
        if candidates:
            vectors = stack_blobs([a.embedding or b"" for a in candidates])
            with recorder.stage("clustering", candidates=len(candidates), kRange=list(params.k_range)) as out:
                result = cluster(vectors, k_range=params.k_range, seed=params.seed, attributes=attributes)
                labels = [int(v) for v in result.labels]
                clusters = [
                    GenerationCluster(
                        generation_id=generation_id,
                        label=c.label,
                        size=c.size,
                        share=c.share,
                        name=c.name,
                        dominant={k: list(v) for k, v in c.dominant.items()},
                        central_asset_ids={"ids": [candidates[i].id for i in c.central]},
                    )
                    for c in result.clusters
                ]
                out.update(
                    k=result.k, silhouette=round(result.silhouette, 4), sizes=[c.size for c in clusters]
                )
            with recorder.stage("selection", keep=keep, tradeoff=params.tradeoff) as out:
                validity = [a.validation_score if a.validation_score is not None else 1.0 for a in candidates]
                # Stage 15 → 13: how likely each candidate is to please, relative to the designer's
                # typical design, added to how well it matches its spec (both on a 0..1 scale).
                liking = [model.predict(features[a.id]) for a in candidates]
                baseline = model.typical
                quality = np.array([v + p - baseline for v, p in zip(validity, liking, strict=True)])
                source_of = {item["slot"]: item.get("source", 0) for item in plan_items}
                sources = [source_of.get(a.slot, 0) for a in candidates]
                # Given records are kept in proportion; otherwise the visual clusters set the quotas.
                strata = sources if len(set(sources)) > 1 else labels
                chosen = select(vectors, quality, keep, tradeoff=params.tradeoff, clusters=np.array(strata))
                picks, gains = chosen.indices, chosen.gains
                out.update(
                    quotasBy="records" if strata is sources else "clusters",
                    picked=len(picks),
                    diversity=round(chosen.diversity, 4),
                    logDet=None if not np.isfinite(chosen.log_det) else round(chosen.log_det, 4),
                    fallbackPicks=sum(chosen.fallback),
                    learned=model.judged > 0,
                    predicted={
                        "min": round(min(liking), 4),
                        "max": round(max(liking), 4),
                        "baseline": round(baseline, 4),
                    },
                )
        picked = {
            candidates[i].id: (rank, gain) for rank, (i, gain) in enumerate(zip(picks, gains, strict=True))
        }
        with recorder.stage("coverage", kept=len(picked)) as out:
            kept_attributes = [attributes[i] for i in picks]
            report = coverage_stage.report(kept_attributes, config.config)
            out.update(overall=round(report.overall, 4), gaps=[g.category for g in report.gaps])
        self._persist(generation_id, user_id, assets, candidates, labels, picked, clusters, report, features)
        summary.update(clusters=len(clusters), coverage=round(report.overall, 4), gaps=len(report.gaps))
        return summary

    def _persist(
        self,
        generation_id: str,
        user_id: str,
        assets: list[GenerationAsset],
        candidates: list[GenerationAsset],
        labels: list[int],
        picked: dict[str, tuple[int, float]],
        clusters: list[GenerationCluster],
        report: coverage_stage.CoverageReport,
        features: dict[str, list[str]],
    ) -> None:
        label_of = {a.id: labels[i] for i, a in enumerate(candidates)}
        with self.db.session() as s:
            rows = {a.id: a for a in Assets(s).for_generation(generation_id)}
            # A re-run after a crash finds features already set: those images were counted as shown.
            newly_shown = [features[a.id] for a in assets if a.id in picked and rows[a.id].features is None]
            if self.learning is not None:
                self.learning.count_shown(s, user_id, newly_shown)
            for asset in assets:
                row = rows[asset.id]
                row.features = features[asset.id]
                rank, gain = picked.get(asset.id, (None, None))
                row.selected = asset.id in picked
                row.pick_rank = rank
                row.pick_gain = gain if gain is None or np.isfinite(gain) else None
                row.cluster = label_of.get(asset.id)
            repo = Coverage(s)
            repo.replace_clusters(generation_id, clusters)
            if repo.report_for(generation_id) is None:  # gap bookkeeping happens once per batch
                repo.add_report(
                    CoverageReport(
                        user_id=user_id,
                        generation_id=generation_id,
                        overall=report.overall,
                        report=report.to_dict(),
                    )
                )
                self._update_gaps(repo, user_id, generation_id, report)

    @staticmethod
    def _update_gaps(
        repo: Coverage, user_id: str, generation_id: str, report: coverage_stage.CoverageReport
    ) -> None:
        present = {c.path: set(c.present) for c in report.categories}
        for gap in repo.open_gaps(user_id):
            missing = set(gap.values.get("missing", []))
            if gap.attribute in present and missing <= present[gap.attribute]:
                gap.status, gap.closed_generation_id, gap.closed_at = "closed", generation_id, utcnow()
        open_by_attribute = {g.attribute: g for g in repo.open_gaps(user_id)}
        for g in report.gaps:
            values = {"missing": list(g.missing), "underRepresented": list(g.under_represented)}
            row = open_by_attribute.get(g.path)
            if row is None:
                repo.add_gap(
                    CoverageGap(
                        user_id=user_id,
                        category=g.category,
                        attribute=g.path,
                        severity=g.severity,
                        boost=g.boost,
                        gap_points=g.gap_points,
                        values=values,
                        opened_generation_id=generation_id,
                    )
                )
            else:
                row.severity, row.boost, row.gap_points, row.values = (
                    g.severity,
                    g.boost,
                    g.gap_points,
                    values,
                )
