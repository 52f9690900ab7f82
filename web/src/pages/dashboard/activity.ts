/**
 * Platform events as sentences for people: "admin started a run of Handwritten digits (CNN)",
 * "Version 3 of digits moved to production", "Drift detected on digits".
 */
import type { components } from "../../api/schema";
import { eventName } from "../../live/events";

export type ActivityEvent = components["schemas"]["RecentEvent"];

export type Tone = "run" | "success" | "failure" | "registry" | "deployment" | "alert" | "settings" | "neutral";

export interface Activity {
  id: string;
  time: string;
  sentence: string;
  detail?: string;
  link?: { to: string; label: string };
  tone: Tone;
}

/** What the feed knows besides the event: model type titles and run names. */
export interface Names {
  /** model_type → catalog title ("Handwritten digits (CNN)"). */
  modelTypes: Record<string, string>;
  /** job_id → { model_name, model_type } of runs seen elsewhere. */
  runs: Record<string, { model_name: string; model_type: string }>;
}

/** The events whose topics the feed asks /api/events/recent for (everything else is noise). */
export const FEED_TOPICS = [
  "workflow.run.queued.>",
  "workflow.run.succeeded.>",
  "workflow.run.failed.>",
  "workflow.run.cancelled.>",
  "registry.model_version.registered.>",
  "registry.model_version.status_changed.>",
  "registry.model.alias_changed.>",
  "registry.model.updated.>",
  "infra.deployment.>",
  "infra.alert.>",
  "gateway.settings.>",
].join(",");

const NOISY = ["progressed", "logged", "epoch_completed", "step_changed", "started"];

/** Events an activity feed leaves out: progress ticks, logs, metrics, command outcomes, pings. */
export function isNoisy(type: string): boolean {
  const parts = eventName(type).split(".");
  const [service, aggregate, verb] = parts;
  if (aggregate === "command" || aggregate === "system") return true;
  if (service === "infra" && aggregate === "metrics") return true;
  if (service === "infra" && aggregate === "deployment" && verb === "endpoints") return true;
  if (service === "workflow" && aggregate === "run" && NOISY.includes(verb ?? "")) return true;
  if (service === "registry" && aggregate === "model" && verb === "production_changed") return true; // status_changed says it
  if (service === "registry" && aggregate === "model_version" && verb === "updated") return true; // no model name to show
  return false;
}

const GROUP_TITLES: Record<string, string> = {
  llm: "LLM",
  kubernetes: "Kubernetes",
  container_registry: "container registry",
  artifact_store: "artifact store",
  data_sources: "data sources",
};

const ALERT_WORDS: Record<string, string> = {
  drift_detected: "drift",
  deployment_failed: "deployment failure",
  replica_restarted: "replica restart",
};

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function actorName(event: ActivityEvent): string | undefined {
  const actor = event.actor;
  if (!actor) return undefined;
  const name = str(actor.username) ?? str(actor.name) ?? str(actor.id);
  return name === "system" ? undefined : name;
}

function runLabel(data: Record<string, unknown>, names: Names): string {
  const jobId = str(data.job_id) ?? "";
  const known = names.runs[jobId];
  const modelType = str(data.model_type) ?? known?.model_type;
  const modelName = str(data.model_name) ?? known?.model_name;
  const title = modelType ? names.modelTypes[modelType] : undefined;
  if (modelName && modelType && modelName !== modelType) return modelName;
  return title ?? modelName ?? modelType ?? "a model";
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function runActivity(verb: string, event: ActivityEvent, names: Names): Omit<Activity, "id" | "time"> | null {
  const data = event.data;
  const jobId = str(data.job_id);
  const link = jobId ? { to: `/runs/${jobId}`, label: "Open run" } : undefined;
  const label = runLabel(data, names);
  const who = actorName(event);
  switch (verb) {
    case "queued":
      return {
        sentence: `${who ?? "Someone"} started a run of ${label}`,
        detail:
          str(data.model_name) && str(data.model_type) && data.model_name !== data.model_type
            ? names.modelTypes[String(data.model_type)] ?? String(data.model_type)
            : undefined,
        link,
        tone: "run",
      };
    case "succeeded": {
      const seconds = num(data.seconds);
      return {
        sentence: `The run of ${label} succeeded`,
        detail: seconds !== undefined ? `Trained in ${seconds < 60 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`}` : undefined,
        link,
        tone: "success",
      };
    }
    case "failed":
      return { sentence: `The run of ${label} failed`, detail: str(data.reason), link, tone: "failure" };
    case "cancelled":
      return {
        sentence: `${str(data.cancelled_by) ?? who ?? "Someone"} cancelled the run of ${label}`,
        detail: str(data.reason),
        link,
        tone: "neutral",
      };
    default:
      return null;
  }
}

function registryActivity(aggregate: string, verb: string, event: ActivityEvent): Omit<Activity, "id" | "time"> | null {
  const data = event.data;
  const model = str(data.model_name) ?? "a model";
  const link = str(data.model_name) ? { to: `/models/${encodeURIComponent(model)}`, label: "Open model" } : undefined;
  const version = num(data.version);
  const who = actorName(event);
  if (aggregate === "model_version" && verb === "registered") {
    return { sentence: `Version ${version ?? "?"} of ${model} was registered`, link, tone: "registry" };
  }
  if (aggregate === "model_version" && verb === "status_changed") {
    const to = str(data.to_status) ?? "a new stage";
    if (data.action === "rollback" && to === "production") {
      return { sentence: `${model} was rolled back to version ${version ?? "?"}`, detail: str(data.note), link, tone: "registry" };
    }
    return {
      sentence: `Version ${version ?? "?"} of ${model} moved to ${to}`,
      detail: str(data.note) ?? (who ? `by ${who}` : undefined),
      link,
      tone: to === "production" ? "success" : "registry",
    };
  }
  if (aggregate === "model" && verb === "alias_changed") {
    const alias = str(data.alias) ?? "an alias";
    return {
      sentence:
        version === undefined
          ? `Alias “${alias}” was removed from ${model}`
          : `Alias “${alias}” of ${model} now points to version ${version}`,
      link,
      tone: "registry",
    };
  }
  if (aggregate === "model" && verb === "updated") {
    return { sentence: `${who ?? "Someone"} updated the description or tags of ${model}`, link, tone: "registry" };
  }
  return null;
}

function deploymentActivity(verb: string, event: ActivityEvent): Omit<Activity, "id" | "time"> | null {
  const data = event.data;
  const id = str(data.deployment_id);
  const link = id ? { to: `/deployments/${id}`, label: "Open deployment" } : undefined;
  const what = `${str(data.model_name) ?? "a model"} v${num(data.model_version) ?? "?"}`;
  const reason = str(data.reason);
  switch (verb) {
    case "deploying":
      return { sentence: `Deployment of ${what} is starting`, link, tone: "deployment" };
    case "ready":
      return { sentence: `Deployment of ${what} is ready`, link, tone: "success" };
    case "degraded":
      return { sentence: `Deployment of ${what} is degraded`, detail: reason, link, tone: "alert" };
    case "failed":
      return { sentence: `Deployment of ${what} failed`, detail: reason, link, tone: "failure" };
    case "scaled":
      return {
        sentence: `Deployment of ${what} now runs ${plural(num(data.replicas_desired) ?? 0, "replica")}`,
        link,
        tone: "deployment",
      };
    case "updated": {
      const previous = num(data.previous_version);
      return {
        sentence: `Deployment of ${str(data.model_name) ?? "a model"} now serves version ${num(data.model_version) ?? "?"}`,
        detail: previous !== undefined ? `It served version ${previous} before` : undefined,
        link,
        tone: "deployment",
      };
    }
    case "deleted":
      return { sentence: `Deployment of ${what} was removed`, link, tone: "neutral" };
    default:
      return null;
  }
}

function alertActivity(verb: string, event: ActivityEvent): Omit<Activity, "id" | "time"> | null {
  const data = event.data;
  const model = str(data.model_name);
  const type = str(data.alert_type) ?? "";
  const link = { to: "/alerts", label: "Open alerts" };
  const on = model ? ` on ${model}` : "";
  const who = str(data.by) ?? actorName(event) ?? "Someone";
  const word = ALERT_WORDS[type] ?? "an";
  if (verb === "raised") {
    if (type === "drift_detected") return { sentence: `Drift detected${on}`, detail: str(data.message), link, tone: "alert" };
    if (type === "deployment_failed") return { sentence: `A deployment${on} failed`, detail: str(data.message), link, tone: "failure" };
    if (type === "replica_restarted") return { sentence: `A replica${on} was restarted`, detail: str(data.message), link, tone: "alert" };
    return { sentence: `Alert${on}: ${str(data.message) ?? type}`, link, tone: "alert" };
  }
  if (verb === "acknowledged") {
    return { sentence: `${who} acknowledged the ${word} alert${on}`, detail: str(data.note), link, tone: "neutral" };
  }
  if (verb === "resolved") {
    return { sentence: `${who} resolved the ${word} alert${on}`, detail: str(data.note), link, tone: "success" };
  }
  return null;
}

/** One event as a sentence, or null when the feed leaves it out. */
export function describeEvent(event: ActivityEvent, names: Names): Activity | null {
  if (isNoisy(event.type)) return null;
  const [service, aggregate, verb] = eventName(event.type).split(".");
  let described: Omit<Activity, "id" | "time"> | null = null;
  if (service === "workflow" && aggregate === "run") described = runActivity(verb ?? "", event, names);
  else if (service === "registry") described = registryActivity(aggregate ?? "", verb ?? "", event);
  else if (service === "infra" && aggregate === "deployment") described = deploymentActivity(verb ?? "", event);
  else if (service === "infra" && aggregate === "alert") described = alertActivity(verb ?? "", event);
  else if (service === "gateway" && aggregate === "settings" && verb === "changed") {
    const group = str(event.data.group) ?? "";
    const fields = Array.isArray(event.data.fields) ? event.data.fields.filter((f): f is string => typeof f === "string") : [];
    described = {
      sentence: `${actorName(event) ?? "Someone"} changed the ${GROUP_TITLES[group] ?? group} settings`,
      detail: fields.length > 0 ? `Changed: ${fields.map((f) => f.replace(/_/g, " ")).join(", ")}` : undefined,
      link: { to: "/settings", label: "Open settings" },
      tone: "settings",
    };
  }
  return described ? { id: event.id, time: event.time, ...described } : null;
}

/** Newest first, without duplicates, at most `limit`. */
export function mergeEvents(fresh: ActivityEvent[], known: ActivityEvent[], limit: number): ActivityEvent[] {
  const seen = new Set<string>();
  const merged: ActivityEvent[] = [];
  for (const event of [...fresh, ...known]) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    merged.push(event);
  }
  merged.sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
  return merged.slice(0, limit);
}
