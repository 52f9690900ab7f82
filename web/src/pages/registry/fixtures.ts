/** Answers of the gateway as the registry tests need them: versions, a model, the model types. */
import type { components } from "../../api/schema";

/** The catalog the registry pages look model types up in. */
export const MODEL_TYPES = {
  "GET /api/model-types": {
    body: [{ name: "tabular_sklearn_classifier", title: "Table classifier (scikit-learn)", primary_metric: "test_accuracy" }],
  },
};

type VersionDetail = components["schemas"]["VersionDetail"];
type ModelDetail = components["schemas"]["ModelDetail"];

const AT = "2026-01-02T10:00:00Z";

export function version(number: number, status: VersionDetail["status"], extra: Partial<VersionDetail> = {}): VersionDetail {
  return {
    model_id: `mv${number}`,
    model_name: "cancer",
    version: number,
    status,
    model_type: "tabular_sklearn_classifier",
    job_id: `job${number}aaaaaaaa`,
    metrics: { test_accuracy: 0.9 + number / 100, test_loss: 0.3 - number / 100 },
    aliases: [],
    tags: {},
    registered_at: AT,
    registered_by: "ada",
    artifact_uri: `/artifacts/runs/job${number}`,
    input_signature: {},
    metric_history: [],
    params: { epochs: 5, params: { estimator: number === 1 ? "random_forest" : "logistic_regression", seed: 42 } },
    dataset: { sha256: "abcdef0123456789", source: "local_path", path: "/data/breast_cancer/breast_cancer.csv", rows: 569 },
    description: null,
    timeline: [
      { model_id: `mv${number}`, version: number, action: "register", from_status: null, to_status: "registered", actor: "ada", note: null, at: AT },
    ],
    ...extra,
  };
}

export function model(extra: Partial<ModelDetail> = {}): ModelDetail {
  const versions = [version(3, "staging"), version(2, "production", { aliases: ["champion"] }), version(1, "archived")];
  return {
    name: "cancer",
    model_type: "tabular_sklearn_classifier",
    latest_version: 3,
    latest_model_id: "mv3",
    production_version: 2,
    production_model_id: "mv2",
    status: "staging",
    metrics: versions[1]!.metrics,
    aliases: { champion: 2 },
    tags: { team: "oncology" },
    description: "Finds malignant tumours in biopsy measurements.",
    registered_at: AT,
    updated_at: AT,
    versions,
    timeline: versions.flatMap((v) => v.timeline),
    metric_history: versions
      .slice()
      .reverse()
      .map((v) => ({ version: v.version, model_id: v.model_id, metrics: v.metrics, registered_at: AT })),
    deployments: [],
    ...extra,
  };
}

export const NO_DEPLOYMENTS = { body: { items: [], total: 0, limit: 200, offset: 0 } };

export function command(status: "succeeded" | "pending" = "succeeded") {
  return {
    body: {
      command_id: "c1",
      correlation_id: "k1",
      type: "registry.promote",
      service: "registry",
      actor_id: "ada",
      status,
      created_at: AT,
    },
  };
}
