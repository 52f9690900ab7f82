/** The model catalog (`GET /api/model-types`): each type with its training JSON Schema and defaults. */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { JsonSchema } from "./schema";

export interface ResourceQuantities {
  cpu?: string | null;
  memory?: string | null;
}

export interface MetricInfo {
  name: string;
  goal: "minimize" | "maximize";
  description: string;
}

export interface ModelType {
  name: string;
  title: string;
  description: string;
  task?: string;
  framework?: string;
  training_schema: JsonSchema;
  default_resources: { requests?: ResourceQuantities; limits?: ResourceQuantities };
  metrics: MetricInfo[];
  primary_metric?: string;
  sample_data?: { data_source?: string; path?: string };
  data_formats: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Read one catalog entry, tolerating missing optional parts. */
export function toModelType(raw: Record<string, unknown>): ModelType | null {
  if (typeof raw.name !== "string") return null;
  const resources = isRecord(raw.default_resources) ? raw.default_resources : {};
  return {
    name: raw.name,
    title: typeof raw.title === "string" ? raw.title : raw.name,
    description: typeof raw.description === "string" ? raw.description : "",
    task: typeof raw.task === "string" ? raw.task : undefined,
    framework: typeof raw.framework === "string" ? raw.framework : undefined,
    training_schema: isRecord(raw.training_schema) ? (raw.training_schema as JsonSchema) : { type: "object" },
    default_resources: {
      requests: isRecord(resources.requests) ? (resources.requests as ResourceQuantities) : undefined,
      limits: isRecord(resources.limits) ? (resources.limits as ResourceQuantities) : undefined,
    },
    metrics: Array.isArray(raw.metrics) ? (raw.metrics.filter(isRecord) as unknown as MetricInfo[]) : [],
    primary_metric: typeof raw.primary_metric === "string" ? raw.primary_metric : undefined,
    sample_data: isRecord(raw.sample_data) ? (raw.sample_data as ModelType["sample_data"]) : undefined,
    data_formats: Array.isArray(raw.data_formats)
      ? raw.data_formats.filter((f): f is string => typeof f === "string")
      : [],
  };
}

/** The catalog, cached for the session (it changes only with a platform upgrade). */
export function useModelTypes() {
  return useQuery({
    // The cache holds the API's answer as it is (other pages share this key); each reader maps it.
    queryKey: keys.modelTypes,
    queryFn: () => unwrap(api.GET("/api/model-types")),
    select: (data: Record<string, unknown>[]) => data.map(toModelType).filter((t): t is ModelType => t !== null),
  });
}

/** The title of a model type for people, or its name when the catalog does not know it. */
export function modelTypeTitle(types: ModelType[] | undefined, name: string): string {
  return types?.find((t) => t.name === name)?.title ?? name;
}
