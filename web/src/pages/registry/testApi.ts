/**
 * A fake gateway for the registry's unit tests: "METHOD /path" → JSON answer; records the calls.
 *
 * openapi-fetch keeps the `fetch` and `Request` it finds when the client is created, and Node's
 * Request refuses relative URLs; so this module, imported before anything that loads the client,
 * installs a Request that resolves them and a fetch that asks whatever `fakeGateway` set last.
 */
import type { components } from "../../api/schema";

type Handler = (request: Request) => Promise<Response>;

const current: { handler: Handler } = {
  handler: async () => new Response(JSON.stringify({ detail: "no fake gateway installed" }), { status: 599 }),
};

const NodeRequest = globalThis.Request;

class RelativeRequest extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" && input.startsWith("/") ? new URL(input, "http://localhost") : input, init);
  }
}

globalThis.Request = RelativeRequest;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
  current.handler(input instanceof NodeRequest ? input : new RelativeRequest(input, init));

export interface Call {
  method: string;
  path: string;
  search: URLSearchParams;
  body: unknown;
}

export type Answer = { status?: number; body: unknown } | ((call: Call) => { status?: number; body: unknown });

export function fakeGateway(routes: Record<string, Answer>, role: "viewer" | "editor" | "admin" = "editor") {
  const calls: Call[] = [];
  const all: Record<string, Answer> = {
    "GET /api/auth/me": { body: { user_id: "u1", username: "ada", role, via: "session", csrf_token: "t" } },
    "GET /api/model-types": {
      body: [{ name: "tabular_sklearn_classifier", title: "Table classifier (scikit-learn)", primary_metric: "test_accuracy" }],
    },
    ...routes,
  };
  current.handler = async (request: Request) => {
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const call: Call = { method: request.method, path: url.pathname, search: url.searchParams, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    const answer = all[`${request.method} ${url.pathname}`];
    if (!answer) {
      return new Response(JSON.stringify({ detail: `no fake for ${request.method} ${url.pathname}` }), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      });
    }
    const { status = 200, body } = typeof answer === "function" ? answer(call) : answer;
    const type = status >= 400 ? "application/problem+json" : "application/json";
    return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  };
  return { calls };
}

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
