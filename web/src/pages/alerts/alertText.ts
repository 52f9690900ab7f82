import type { components } from "../../api/schema";

export type AlertView = components["schemas"]["AlertView"];
export type AlertType = AlertView["alert_type"];
export type AlertStatus = AlertView["status"];

export const TYPE_TITLES: Record<AlertType, string> = {
  drift_detected: "Drift detected",
  replica_restarted: "Replica restarted",
  deployment_failed: "Deployment failed",
};

export function alertTitle(type: string): string {
  return TYPE_TITLES[type as AlertType] ?? type.replace(/_/g, " ");
}

export interface FeatureScore {
  feature: string;
  psi: number | null;
  ks: number | null;
  drifted: boolean;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The per-feature drift scores of a drift alert's details, highest PSI first. */
export function featureScores(details: Record<string, unknown>): FeatureScore[] {
  const scores = details.scores;
  const drifted = Array.isArray(details.features) ? details.features.map(String) : [];
  if (typeof scores !== "object" || scores === null) {
    return drifted.map((feature) => ({ feature, psi: null, ks: null, drifted: true }));
  }
  return Object.entries(scores as Record<string, unknown>)
    .map(([feature, entry]) => {
      const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
      return {
        feature,
        psi: num(e.psi),
        ks: num(e.ks),
        drifted: e.drifted === true || drifted.includes(feature),
      };
    })
    .sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1));
}

/** A number from the details, or null. */
export function detailNumber(details: Record<string, unknown>, key: string): number | null {
  return num(details[key]);
}

export function detailText(details: Record<string, unknown>, key: string): string | null {
  const value = details[key];
  return typeof value === "string" && value ? value : null;
}

export function thresholds(details: Record<string, unknown>): Record<string, number> {
  const value = details.thresholds;
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, number] => typeof entry[1] === "number"),
  );
}

/** The message with a capital first letter, as a sentence. */
export function sentence(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
