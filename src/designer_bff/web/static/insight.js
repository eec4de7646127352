// @ts-check
/**
 * The bar under a finished request's title: "10 kept of 12 · 1 rejected · 1 flagged", the Coverage
 * disclosure (its panel opens below the bar) and the "Show hidden candidates" toggle.
 */

import { h, show } from "./dom.js";
import { percent } from "./format.js";
import { selectionSummary } from "./validation.js";

/** @typedef {import("./state.js").GenView} GenView */
/** @typedef {import("./state.js").Insight} Insight */

/**
 * Build the (hidden until the request finishes) insight bar and its coverage panel.
 * @param {string} generationId
 * @param {() => void} onToggleHidden called when "Show/Hide hidden candidates" is pressed
 * @param {() => void} onToggleCoverage called when the Coverage button is pressed
 * @returns {Insight}
 */
export function buildInsight(generationId, onToggleHidden, onToggleCoverage) {
  const panelId = `gen-${generationId}-coverage`;
  const summary = h("p", { class: "insight-bar__summary" });
  const coverageButton = h("button", {
    class: "btn btn--ghost btn--sm insight-bar__coverage",
    attrs: { type: "button", "aria-expanded": "false", "aria-controls": panelId },
  });
  const toggle = h("button", {
    class: "btn btn--ghost btn--sm insight-bar__toggle",
    attrs: { type: "button", "aria-pressed": "false" },
  });
  const bar = h("div", { class: "insight-bar", attrs: { hidden: true } }, [
    summary,
    h("div", { class: "insight-bar__actions" }, [coverageButton, toggle]),
  ]);
  const coveragePanel = h("div", { class: "coverage", attrs: { id: panelId, hidden: true, role: "region", "aria-label": "Coverage" } });
  coverageButton.addEventListener("click", onToggleCoverage);
  toggle.addEventListener("click", onToggleHidden);
  return { bar, summary, toggle, coverageButton, coveragePanel };
}

/**
 * Draw the bar from the request's data: only finished requests have one.
 * @param {GenView} view
 */
export function renderInsight(view) {
  const g = view.data;
  const { bar, summary, toggle, coverageButton, coveragePanel } = view.insight;
  const finished = g.status === "completed" && (g.candidateCount ?? g.assets.length) > 0;
  show(bar, finished);
  if (!finished) {
    show(coveragePanel, false);
    return;
  }
  const text = selectionSummary(g, view.hidden ? [...g.assets, ...view.hidden] : undefined);
  if (summary.textContent !== text) summary.textContent = text;

  const hidden = g.hiddenCount ?? 0;
  show(toggle, hidden > 0);
  toggle.setAttribute("aria-pressed", String(view.showHidden));
  const label = view.showHidden ? "Hide hidden candidates" : `Show hidden candidates (${hidden})`;
  if (toggle.textContent !== label) toggle.textContent = label;

  // The pipeline's own coverage summary names the score before the full report is fetched.
  const overall = g.stages?.coverage?.output?.overall;
  const coverageLabel = typeof overall === "number" ? `Coverage ${percent(overall)}` : "Coverage";
  if (coverageButton.dataset.label !== coverageLabel) {
    coverageButton.dataset.label = coverageLabel;
    coverageButton.replaceChildren(coverageLabel, h("span", { class: "chevron", attrs: { "aria-hidden": "true" } }));
  }
}
