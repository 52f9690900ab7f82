/** The create-workflow form's state, the request it sends, and where the platform's errors go. */
import type { components } from "../../api/schema";
import type { FieldError } from "../../api/problem";
import type { ModelType } from "./modelTypes";
import { schemaDefaults, schemaFieldPaths, schemaOutput, type SchemaValues } from "./schema";

export type ExecuteRequest = components["schemas"]["ExecuteWorkflowRequest"];
type WorkflowParams = components["schemas"]["WorkflowParams"];
type DataSection = components["schemas"]["DataSection"];
type Resources = components["schemas"]["Resources"];
type TrainingSection = components["schemas"]["TrainingSection"];

export type DataChoice = "sample" | "local_path" | "s3" | "gcs" | "dvc" | "database";
export type NumberValue = number | string;

export interface ResourceDraft {
  cpu: string;
  memory: string;
}

export interface Draft {
  modelType: string | null;
  modelName: string;
  training: SchemaValues;
  namespace: string;
  seed: NumberValue;
  requests: ResourceDraft;
  limits: ResourceDraft;
  dataSource: DataChoice;
  dataPath: string;
  dataRepo: string;
  dataRev: string;
  dataQuery: string;
  dataFormat: string | null;
  databaseMode: "table" | "query";
  gateMetric: string | null;
  gateMinimum: NumberValue;
  deploy: boolean;
  replicas: NumberValue;
  deployRequests: ResourceDraft;
  deployLimits: ResourceDraft;
}

export const P = "workflow_params";

/** Paths of the inputs outside the schema-drawn part (the same paths the platform names). */
export const FIXED_PATHS = [
  `${P}.model_type`,
  `${P}.model_name`,
  `${P}.data.data_source`,
  `${P}.data.path`,
  `${P}.data.repo`,
  `${P}.data.rev`,
  `${P}.data.query`,
  `${P}.data.format`,
  `${P}.evaluation.metric`,
  `${P}.evaluation.minimum`,
  `${P}.deployment.deploy_if_trained_success`,
  `${P}.deployment.replicas`,
  `${P}.deployment.resource_requests.cpu`,
  `${P}.deployment.resource_requests.memory`,
  `${P}.deployment.resource_limits.cpu`,
  `${P}.deployment.resource_limits.memory`,
  `${P}.training.namespace`,
  `${P}.training.seed`,
  `${P}.training.resource_requests.cpu`,
  `${P}.training.resource_requests.memory`,
  `${P}.training.resource_limits.cpu`,
  `${P}.training.resource_limits.memory`,
];

/** Paths shown on another input (the namespace field serves training and deployment). */
export const ALIASES: Record<string, string> = {
  [`${P}.deployment.namespace`]: `${P}.training.namespace`,
};

/** Inputs of the Advanced section, which must be opened to show an error there. */
export const ADVANCED_PATHS = [
  `${P}.training.namespace`,
  `${P}.training.seed`,
  `${P}.training.resource_requests.cpu`,
  `${P}.training.resource_requests.memory`,
  `${P}.training.resource_limits.cpu`,
  `${P}.training.resource_limits.memory`,
];

export function emptyDraft(): Draft {
  return {
    modelType: null,
    modelName: "",
    training: {},
    namespace: "default",
    seed: 42,
    requests: { cpu: "", memory: "" },
    limits: { cpu: "", memory: "" },
    dataSource: "sample",
    dataPath: "",
    dataRepo: "",
    dataRev: "",
    dataQuery: "",
    dataFormat: null,
    databaseMode: "table",
    gateMetric: null,
    gateMinimum: "",
    deploy: false,
    replicas: 1,
    deployRequests: { cpu: "", memory: "" },
    deployLimits: { cpu: "", memory: "" },
  };
}

/** The draft for a newly chosen model type: its defaults, keeping what applies to any type. */
export function draftForType(draft: Draft, type: ModelType): Draft {
  const requests = type.default_resources.requests ?? {};
  const limits = type.default_resources.limits ?? {};
  return {
    ...draft,
    modelType: type.name,
    training: schemaDefaults(type.training_schema),
    requests: { cpu: requests.cpu ?? "", memory: requests.memory ?? "" },
    limits: { cpu: limits.cpu ?? "", memory: limits.memory ?? "" },
    dataFormat: null,
    gateMetric: type.primary_metric ?? null,
    gateMinimum: "",
  };
}

function text(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function number(value: NumberValue): number | undefined {
  if (typeof value === "number") return value;
  if (value.trim() === "") return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function resources(draft: ResourceDraft): Resources {
  const out: Resources = {};
  const cpu = text(draft.cpu);
  const memory = text(draft.memory);
  if (cpu) out.cpu = cpu;
  if (memory) out.memory = memory;
  return out;
}

function data(draft: Draft): DataSection | undefined {
  if (draft.dataSource === "sample") return undefined;
  const section: DataSection = { data_source: draft.dataSource };
  if (draft.dataSource === "database") {
    if (draft.databaseMode === "query") section.query = text(draft.dataQuery) ?? "";
    else section.path = text(draft.dataPath) ?? "";
    return section;
  }
  section.path = text(draft.dataPath) ?? "";
  if (draft.dataSource === "dvc") {
    section.repo = text(draft.dataRepo) ?? "";
    const rev = text(draft.dataRev);
    if (rev) section.rev = rev;
  }
  if (draft.dataFormat) section.format = draft.dataFormat as DataSection["format"];
  return section;
}

/** The body of `POST /api/mlops/execute_workflow` for a draft and its model type. */
export function buildRequest(draft: Draft, type: ModelType): ExecuteRequest {
  const trained = schemaOutput(type.training_schema, draft.training);
  const namespace = text(draft.namespace) ?? "default";
  const params: WorkflowParams = {
    model_type: type.name,
    training: {
      ...(trained as Omit<TrainingSection, "namespace">),
      namespace,
      resource_requests: resources(draft.requests),
      resource_limits: resources(draft.limits),
    },
    evaluation: {},
    deployment: {
      deploy_if_trained_success: draft.deploy,
      namespace,
      replicas: number(draft.replicas) ?? 1,
      resource_requests: resources(draft.deployRequests),
      resource_limits: resources(draft.deployLimits),
    },
  };
  const seed = number(draft.seed);
  if (seed !== undefined && params.training) params.training.seed = seed;
  const name = text(draft.modelName);
  if (name) params.model_name = name;
  const section = data(draft);
  if (section) params.data = section;
  if (draft.gateMetric) params.evaluation = { ...params.evaluation, metric: draft.gateMetric };
  const minimum = number(draft.gateMinimum);
  if (minimum !== undefined) params.evaluation = { ...params.evaluation, minimum };
  return { workflow_params: params };
}

export interface PlacedErrors {
  /** Message by input path. */
  fields: Record<string, string>;
  /** Errors no input shows (they go in the alert above the button). */
  rest: FieldError[];
}

/** "workflow_params.x.y: must be at most 1.0" → "Must be at most 1.0". */
export function cleanMessage(error: FieldError): string {
  const prefix = `${error.field}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** The input under a group that a group's message is about ("cpu 1 is less than …" → ….cpu). */
function namedChild(field: string, message: string, paths: string[]): string | undefined {
  const text = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return paths.find((p) => p.startsWith(`${field}.`) && text.startsWith(`${p.slice(field.length + 1)} `));
}

/**
 * Put each error on the input that shows its path: the same path, an alias, the input a group's
 * message names (limits below requests), or the input it is under (an item of a list). The rest,
 * and a second error for an input, go in the alert.
 */
export function placeErrors(errors: FieldError[], paths: string[]): PlacedErrors {
  const placed: PlacedErrors = { fields: {}, rest: [] };
  for (const error of errors) {
    const field = ALIASES[error.field] ?? error.field;
    const target =
      paths.find((p) => p === field) ??
      namedChild(field, error.message, paths) ??
      paths.find((p) => field.startsWith(`${p}.`));
    if (target && !placed.fields[target]) placed.fields[target] = cleanMessage(error);
    else placed.rest.push(error);
  }
  return placed;
}

function dataPaths(draft: Draft): string[] {
  const source = `${P}.data.data_source`;
  switch (draft.dataSource) {
    case "sample":
      return [source];
    case "database":
      return [source, draft.databaseMode === "query" ? `${P}.data.query` : `${P}.data.path`];
    case "dvc":
      return [source, `${P}.data.repo`, `${P}.data.rev`, `${P}.data.path`, `${P}.data.format`];
    default:
      return [source, `${P}.data.path`, `${P}.data.format`];
  }
}

/** The inputs on the page for a model type and draft, in page order (where errors can show). */
export function formPaths(type: ModelType | undefined, draft: Draft): string[] {
  const schemaPaths = type ? schemaFieldPaths(type.training_schema, `${P}.training`) : [];
  const others = FIXED_PATHS.slice(2).filter((path) => !path.startsWith(`${P}.data.`));
  return [...FIXED_PATHS.slice(0, 2), ...schemaPaths, ...dataPaths(draft), ...others];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function quantities(value: unknown, fallback: ResourceDraft): ResourceDraft {
  const given = record(value);
  return { cpu: str(given.cpu) || fallback.cpu, memory: str(given.memory) || fallback.memory };
}

const SOURCES: DataChoice[] = ["local_path", "s3", "gcs", "dvc", "database"];

/** A draft from an earlier run's parameters ("Run again"), on top of the type's defaults. */
export function draftFromParams(params: Record<string, unknown>, type: ModelType): Draft {
  const base = draftForType(emptyDraft(), type);
  const training = record(params.training);
  const data = record(params.data);
  const evaluation = record(params.evaluation);
  const deployment = record(params.deployment);
  const source = SOURCES.find((s) => s === data.data_source);
  const samplePath = type.sample_data?.path;
  const isSample =
    !source || (source === type.sample_data?.data_source && !!samplePath && str(data.path).endsWith(samplePath));
  const modelName = str(params.model_name);
  return {
    ...base,
    modelName: modelName && modelName !== type.name ? modelName : "",
    training: schemaDefaults(type.training_schema, training as SchemaValues),
    namespace: str(training.namespace) || base.namespace,
    seed: typeof training.seed === "number" ? training.seed : base.seed,
    requests: quantities(training.resource_requests, base.requests),
    limits: quantities(training.resource_limits, base.limits),
    dataSource: isSample || !source ? "sample" : source,
    dataPath: isSample ? "" : str(data.path),
    dataRepo: str(data.repo),
    dataRev: str(data.rev),
    dataQuery: str(data.query),
    dataFormat: isSample ? null : str(data.format) || null,
    databaseMode: str(data.query) ? "query" : "table",
    gateMetric: str(evaluation.metric) || base.gateMetric,
    gateMinimum: typeof evaluation.minimum === "number" ? evaluation.minimum : "",
    deploy: deployment.deploy_if_trained_success === true,
    replicas: typeof deployment.replicas === "number" ? deployment.replicas : 1,
    deployRequests: quantities(deployment.resource_requests, base.deployRequests),
    deployLimits: quantities(deployment.resource_limits, base.deployLimits),
  };
}
