/** The dashboard's reads, each under the shared query keys so live events keep them current. */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { components } from "../../api/schema";
import { FEED_TOPICS, type ActivityEvent } from "./activity";

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type Deployment = components["schemas"]["DeploymentView"];
export type ModelSummary = components["schemas"]["ModelSummary"];
export type Series = components["schemas"]["Series"];

/** How many runs have this status (a page of one; its total is the count). */
export function useRunCount(status: RunStatus) {
  return useQuery({
    queryKey: keys.runs({ status, limit: 1 }),
    queryFn: () => unwrap(api.GET("/api/workflows/runs", { params: { query: { status: [status], limit: 1 } } })),
    select: (page) => page.total,
  });
}

/** The latest runs: their total says whether anything was ever trained; their names label the feed. */
export function useRecentRuns() {
  return useQuery({
    queryKey: keys.runs({ limit: 20 }),
    queryFn: () => unwrap(api.GET("/api/workflows/runs", { params: { query: { limit: 20 } } })),
  });
}

export function useDeployments() {
  return useQuery({
    queryKey: keys.deployments({ limit: 50 }),
    queryFn: () => unwrap(api.GET("/api/deployments", { params: { query: { limit: 50 } } })),
  });
}

export function useModels() {
  return useQuery({
    queryKey: keys.models({ limit: 100 }),
    queryFn: () => unwrap(api.GET("/api/models", { params: { query: { limit: 100 } } })),
  });
}

/** The last 24 hours of every deployment, one point per hour. */
export const METRICS_WINDOW = { window: 86400, step: 3600 };

export function useOverallMetrics() {
  return useQuery({
    queryKey: keys.metrics(METRICS_WINDOW),
    queryFn: () => unwrap(api.GET("/api/monitoring/metrics", { params: { query: METRICS_WINDOW } })),
  });
}

export function useOpenDriftAlerts() {
  return useQuery({
    queryKey: keys.alerts({ status: "open", alert_type: "drift_detected", limit: 1 }),
    queryFn: () =>
      unwrap(api.GET("/api/alerts", { params: { query: { status: "open", alert_type: "drift_detected", limit: 1 } } })),
    select: (page) => page.total,
  });
}

export function useRecentEvents() {
  return useQuery({
    queryKey: keys.activity,
    queryFn: async (): Promise<ActivityEvent[]> => {
      const recent = await unwrap(api.GET("/api/events/recent", { params: { query: { limit: 20, topics: FEED_TOPICS } } }));
      return recent.items;
    },
  });
}

/** model_type → its catalog title. */
export function useModelTypeTitles() {
  return useQuery({
    queryKey: keys.modelTypes,
    queryFn: () => unwrap(api.GET("/api/model-types")),
    select: (types) => {
      const titles: Record<string, string> = {};
      for (const type of types) {
        if (typeof type.name === "string" && typeof type.title === "string") titles[type.name] = type.title;
      }
      return titles;
    },
  });
}
