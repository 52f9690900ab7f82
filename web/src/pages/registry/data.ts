/** The registry's queries, types and small helpers shared by its pages. */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { components } from "../../api/schema";

export type ModelSummary = components["schemas"]["ModelSummary"];
export type ModelDetailData = components["schemas"]["ModelDetail"];
export type VersionDetail = components["schemas"]["VersionDetail"];
export type VersionView = components["schemas"]["VersionView"];
export type ChangeView = components["schemas"]["ChangeView"];
export type Comparison = components["schemas"]["Comparison"];
export type Deployment = components["schemas"]["DeploymentView"];
export type VersionStatus = VersionView["status"];

export const STATUSES: VersionStatus[] = ["registered", "staging", "production", "archived"];

/** Status moves a promote may make (the registry's rule; an archived version returns to production only by rollback). */
export const ALLOWED_MOVES: Record<VersionStatus, VersionStatus[]> = {
  registered: ["staging", "production", "archived"],
  staging: ["production", "archived", "registered"],
  production: ["staging", "archived"],
  archived: ["staging", "registered"],
};

export const STATUS_HELP: Record<VersionStatus, string> = {
  registered: "Registered: trained and stored, not yet in use.",
  staging: "Staging: being tried out before production.",
  production: "Production: the version deployments that follow production serve.",
  archived: "Archived: kept for the record and for rollback.",
};

export interface ModelType {
  name: string;
  title: string;
  primary_metric?: string;
}

function toModelType(item: Record<string, unknown>): ModelType | null {
  if (typeof item.name !== "string") return null;
  return {
    name: item.name,
    title: typeof item.title === "string" ? item.title : item.name,
    primary_metric: typeof item.primary_metric === "string" ? item.primary_metric : undefined,
  };
}

/** The model catalog (name, title, primary metric), for filters and metric choice. */
export function useModelTypes() {
  return useQuery({
    queryKey: keys.modelTypes,
    queryFn: () => unwrap(api.GET("/api/model-types")),
    select: (items): ModelType[] => items.map(toModelType).filter((item): item is ModelType => item !== null),
  });
}

export interface ModelFilters {
  q?: string;
  model_type?: string;
  sort: "name" | "-updated_at" | "updated_at";
  limit: number;
  offset: number;
}

export function useModels(filters: ModelFilters, enabled = true) {
  return useQuery({
    enabled,
    queryKey: keys.models(filters),
    queryFn: () =>
      unwrap(
        api.GET("/api/models", {
          params: {
            query: {
              q: filters.q || undefined,
              model_type: filters.model_type || undefined,
              sort: filters.sort,
              limit: filters.limit,
              offset: filters.offset,
            },
          },
        }),
      ),
    placeholderData: (previous) => previous,
  });
}

export type VersionSort = "-created_at" | "created_at" | "-version" | "version" | "name" | "-name" | "-metric" | "metric";

export interface VersionFilters {
  q?: string;
  model_type?: string;
  status: VersionStatus[];
  metric?: string;
  sort: VersionSort;
  limit: number;
  offset: number;
}

export function useVersionList(filters: VersionFilters, enabled = true) {
  return useQuery({
    enabled,
    queryKey: keys.versions(filters),
    queryFn: () =>
      unwrap(
        api.GET("/api/mlops/models", {
          params: {
            query: {
              q: filters.q || undefined,
              model_type: filters.model_type || undefined,
              status: filters.status.length ? filters.status : undefined,
              metric: filters.metric || undefined,
              sort: filters.sort,
              limit: filters.limit,
              offset: filters.offset,
            },
          },
        }),
      ),
    placeholderData: (previous) => previous,
  });
}

export function useModel(name: string) {
  return useQuery({
    queryKey: keys.model(name),
    queryFn: () => unwrap(api.GET("/api/models/{name}", { params: { path: { name } } })),
  });
}

export function useModelDeployments(name: string) {
  return useQuery({
    queryKey: keys.deployments({ model: name }),
    queryFn: () =>
      unwrap(
        api.GET("/api/deployments", {
          params: { query: { model_name: name, include_deleted: true, limit: 200 } },
        }),
      ),
  });
}

export function useVersion(id: string) {
  return useQuery({
    queryKey: keys.version(id),
    queryFn: () => unwrap(api.GET("/api/model-versions/{model_id}", { params: { path: { model_id: id } } })),
  });
}

export function useComparison(ids: string[]) {
  return useQuery({
    queryKey: keys.compare(ids),
    queryFn: () => unwrap(api.GET("/api/model-versions/compare", { params: { query: { model_id: ids } } })),
    enabled: ids.length >= 2 && ids.length <= 10,
  });
}

/** "test_accuracy" → "Test accuracy". */
export function metricLabel(name: string): string {
  const words = name
    .replace(/^params\./, "")
    .replace(/[_.]/g, " ")
    .trim()
    .replace(/\b(f1|auc|roc|mae|mse|rmse)\b/gi, (word) => word.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Accuracy-like metrics (0..1 shares) read best as percentages; the rest as numbers. */
export function isShare(metric: string): boolean {
  return /(accuracy|f1|precision|recall|auc)/i.test(metric);
}

export function formatMetric(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (isShare(metric) && value >= 0 && value <= 1) return `${(value * 100).toFixed(1)} %`;
  return value.toLocaleString(undefined, { maximumFractionDigits: 4 });
}

/** Metric names in a helpful order: the primary metric first, then shares, then the rest. */
export function orderMetrics(names: Iterable<string>, primary = "test_accuracy"): string[] {
  const rank = (name: string) => (name === primary ? 0 : name.startsWith("test_") ? 1 : isShare(name) ? 2 : 3);
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The metrics worth a glance in a table cell: the primary one and one more. */
export function keyMetrics(metrics: Record<string, number>, primary = "test_accuracy", count = 2): [string, number][] {
  return orderMetrics(Object.keys(metrics), primary)
    .filter((name) => !name.endsWith("loss") || name === primary)
    .slice(0, count)
    .map((name): [string, number] => [name, metrics[name] ?? Number.NaN]);
}

/** A parameter value as text ("—" for none, JSON for lists and objects). */
export function formatParam(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** {"params": {"estimator": "rf"}, "epochs": 5} → {"params.estimator": "rf", "epochs": 5}. */
export function flattenParams(value: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (item && typeof item === "object" && !Array.isArray(item)) {
      Object.assign(out, flattenParams(item as Record<string, unknown>, path));
    } else {
      out[path] = item;
    }
  }
  return out;
}

/** Actions of the timeline, in words. */
export function actionLabel(change: ChangeView): string {
  switch (change.action) {
    case "register":
      return `Version ${change.version} registered`;
    case "promote":
      return `Version ${change.version} moved to ${change.to_status}`;
    case "rollback":
      return change.to_status === "production"
        ? `Rolled back to version ${change.version}`
        : `Version ${change.version} archived by a rollback`;
    case "archive":
      return `Version ${change.version} archived`;
    case "replaced":
      return `Version ${change.version} left production`;
    case "alias_set":
      return `Alias set on version ${change.version}`;
    case "alias_removed":
      return `Alias removed from version ${change.version}`;
    default:
      return `Version ${change.version}: ${change.action.replace(/_/g, " ")}`;
  }
}
