/** Answers of the gateway as the deployment tests need them: a deployment, its detail, its metrics. */
export const DEPLOYMENT = {
  deployment_id: "dep1234567890",
  status: "ready" as const,
  model_id: "mv2",
  model_name: "digits",
  model_version: 2,
  model_type: "mnist_pytorch_cnn",
  namespace: "default",
  runtime: "local",
  replicas_desired: 2,
  replicas_ready: 2,
  resource_requests: {},
  resource_limits: { cpu: "1", memory: "2Gi" },
  follow_production: true,
  endpoint: "/api/deployments/dep1234567890",
  reason: null,
  rolling_from: null,
  created_by: "ada",
  created_at: "2026-01-01T10:00:00Z",
  updated_at: "2026-01-01T10:01:00Z",
};

export const DETAIL = {
  ...DEPLOYMENT,
  run_id: "run123456789",
  replicas: [
    {
      replica_id: "rep-aaaaaaaa",
      model_id: "mv2",
      status: "ready",
      pid: 4242,
      url: "http://127.0.0.1:40001",
      started_at: "2026-01-01T10:00:00Z",
      ready_at: "2026-01-01T10:00:03Z",
      restarts: 0,
    },
  ],
  history: [
    { at: "2026-01-01T10:00:00Z", event: "deploying", status: "pending", model_id: "mv2", model_version: 2, replicas_desired: 2, replicas_ready: 0, actor: "ada", detail: "digits v2, 2 replica(s)" },
    { at: "2026-01-01T10:00:04Z", event: "ready", status: "ready", model_id: "mv2", model_version: 2, replicas_desired: 2, replicas_ready: 2, actor: null, detail: "serving v2" },
  ],
};

export const SERIES = {
  deployment_id: "dep1234567890",
  window_seconds: 3600,
  step_seconds: 60,
  points: [
    { at: "2026-01-01T10:00:00Z", requests: 30, errors: 0, request_rate: 0.5, error_rate: 0, latency_p50_ms: 4, latency_p99_ms: 9, drift_score: 0.05, avg_confidence: 0.97 },
    { at: "2026-01-01T10:01:00Z", requests: 60, errors: 1, request_rate: 1, error_rate: 0.0167, latency_p50_ms: 5, latency_p99_ms: 12, drift_score: 0.07, avg_confidence: 0.96 },
  ],
  totals: { requests: 90, errors: 1, request_rate: 0.025, error_rate: 0.011, latency_p50_ms: 4.5, latency_p99_ms: 11, drift_status: "ok", open_alerts: 0 },
};
