/** Calls and types the deployment pages share. */
import { api, unwrap } from "../../api/client";
import { ApiError, isProblem } from "../../api/problem";
import type { components } from "../../api/schema";

export type Deployment = components["schemas"]["DeploymentView"];
export type DeploymentFull = components["schemas"]["DeploymentDetail"];
export type Replica = components["schemas"]["ReplicaView"];
export type HistoryEntry = components["schemas"]["HistoryEntry"];
export type Series = components["schemas"]["Series"];
export type MetricsPoint = components["schemas"]["MetricsPoint"];
export type CommandView = components["schemas"]["CommandView"];

export interface TimeWindow {
  value: string;
  label: string;
  window: number;
  step: number;
}

/** The time windows of the metric charts, with a step that gives 60–100 points each. */
export const WINDOWS: TimeWindow[] = [
  { value: "15m", label: "15 min", window: 900, step: 10 },
  { value: "1h", label: "1 h", window: 3600, step: 60 },
  { value: "6h", label: "6 h", window: 21600, step: 300 },
  { value: "24h", label: "24 h", window: 86400, step: 900 },
];

export function fetchMetrics(deploymentId: string, window: number, step: number): Promise<Series> {
  return unwrap(
    api.GET("/api/deployments/{deployment_id}/metrics", {
      params: { path: { deployment_id: deploymentId }, query: { window, step } },
    }),
  );
}

/** Whether a command's answer says it is still running (the gateway answered 202). */
export function stillRunning(answer: { status?: string } | null | undefined): boolean {
  return answer?.status === "pending";
}

export interface Prediction {
  class: string;
  confidence: number;
  probabilities: Record<string, number>;
}

export interface PredictAnswer {
  model_name?: string;
  model_version?: string | number | null;
  predictions: Prediction[];
}

export interface PredictResult {
  answer: PredictAnswer;
  milliseconds: number;
}

/** The inference server answers `{"error": "…"}`; the gateway answers RFC 9457 problems. */
function inferenceError(status: number, statusText: string, body: unknown): ApiError {
  if (isProblem(body)) return new ApiError(status, body, `${status} ${statusText}`);
  if (typeof body === "object" && body !== null && "error" in body && typeof body.error === "string") {
    return new ApiError(status, { detail: body.error }, `${status} ${statusText}`);
  }
  return new ApiError(status, undefined, `${status} ${statusText}`);
}

/** POST /predict with `{"image": …}` or `{"features": {…}}`, timing the round trip. */
export async function predict(deploymentId: string, body: object): Promise<PredictResult> {
  const started = performance.now();
  const result = await api
    .POST("/api/deployments/{deployment_id}/predict", {
      params: { path: { deployment_id: deploymentId } },
      // The route reads its body itself (JSON images, rows or a PNG), so the schema declares none.
      body: body as never,
    })
    .catch((error: unknown) => {
      throw new ApiError(0, undefined, `The platform cannot be reached (${String(error)}). Is it running?`);
    });
  const milliseconds = performance.now() - started;
  if (!result.response.ok) {
    throw inferenceError(result.response.status, result.response.statusText, result.error);
  }
  return { answer: result.data as PredictAnswer, milliseconds };
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform?: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  parameters?: { model_type?: string; classes?: (string | number)[] };
}

/** The served model's Open Inference Protocol metadata: its inputs and outputs. */
export async function fetchModelMetadata(deploymentId: string, modelName: string): Promise<ModelMetadata> {
  const result = await api.GET("/api/deployments/{deployment_id}/v2/{path}", {
    params: { path: { deployment_id: deploymentId, path: `models/${modelName}` } },
  });
  if (!result.response.ok) {
    throw inferenceError(result.response.status, result.response.statusText, result.error);
  }
  return result.data as ModelMetadata;
}

/** Whether the model takes 28×28 digit images (rather than table rows). */
export function takesImages(deployment: { model_type: string }, metadata?: ModelMetadata): boolean {
  const only = metadata?.inputs.length === 1 ? metadata.inputs[0] : undefined;
  if (only) {
    const shape = only.shape;
    if (shape.length >= 2 && shape[shape.length - 1] === 28 && shape[shape.length - 2] === 28) return true;
  }
  return deployment.model_type === "mnist_pytorch_cnn";
}
