import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway, type Call } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { Dashboard } from "./Dashboard";

afterEach(() => localStorage.clear());

const page = (items: unknown[] = [], total = items.length) => ({ body: { items, total, limit: 50, offset: 0 } });

const POINTS = Array.from({ length: 24 }, (_, hour) => ({
  at: `2026-01-01T${String(hour).padStart(2, "0")}:00:00Z`,
  requests: hour * 10,
  errors: hour === 23 ? 5 : 0,
  request_rate: hour / 360,
  error_rate: hour === 23 ? 5 / 230 : 0,
  latency_p50_ms: 3,
  latency_p99_ms: 9,
  drift_score: 0.1,
  avg_confidence: 0.9,
}));

const DEPLOYMENT = {
  deployment_id: "dep1",
  status: "ready",
  model_id: "m2",
  model_name: "digits",
  model_version: 2,
  model_type: "mnist_pytorch_cnn",
  namespace: "default",
  runtime: "local",
  replicas_desired: 2,
  replicas_ready: 2,
  resource_requests: {},
  resource_limits: {},
  follow_production: true,
  endpoint: "/api/deployments/dep1",
  reason: null,
  rolling_from: null,
  created_by: "admin",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const MODEL = {
  name: "digits",
  model_type: "mnist_pytorch_cnn",
  latest_version: 2,
  latest_model_id: "m2",
  production_version: 2,
  production_model_id: "m2",
  status: "production",
  metrics: {},
  aliases: {},
  tags: {},
  description: null,
  registered_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function runsByStatus(counts: Record<string, number>) {
  return (call: Call) => {
    const status = call.query.get("status");
    return page([], status ? counts[status] ?? 0 : Object.values(counts).reduce((a, b) => a + b, 0));
  };
}

function render() {
  return renderWithProviders(
    <AuthProvider>
      <Dashboard />
    </AuthProvider>,
  );
}

describe("Dashboard", { timeout: 30_000 }, () => {
  it("shows a new user the way to their first model instead of zeros", async () => {
    fakeGateway(
      {
        "GET /api/workflows/runs": runsByStatus({}),
        "GET /api/models": page(),
        "GET /api/deployments": page(),
        "GET /api/events/recent": { body: { items: [], seq: 0 } },
        "GET /api/model-types": { body: [] },
      },
      "admin",
    );
    render();
    expect(await screen.findByRole("heading", { name: "Get started" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Train your first model/ })).toHaveAttribute("href", "/workflows/new");
    expect(screen.queryByTestId("stat-running")).not.toBeInTheDocument();
    expect(await screen.findByText("Nothing has happened yet")).toBeInTheDocument();
  });

  it("tells a viewer who can train instead of offering the button", async () => {
    fakeGateway(
      {
        "GET /api/workflows/runs": runsByStatus({}),
        "GET /api/models": page(),
        "GET /api/deployments": page(),
        "GET /api/events/recent": { body: { items: [], seq: 0 } },
        "GET /api/model-types": { body: [] },
      },
      "viewer",
    );
    render();
    expect(await screen.findByText(/ask an editor or an admin to start a run/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Train your first model/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New workflow" })).not.toBeInTheDocument();
  });

  it("counts runs, sums serving and lists deployments and activity", async () => {
    const { calls } = fakeGateway(
      {
        "GET /api/workflows/runs": runsByStatus({ running: 1, queued: 2, succeeded: 7, failed: 3 }),
        "GET /api/models": page([MODEL]),
        "GET /api/deployments": page([DEPLOYMENT]),
        "GET /api/monitoring/metrics": {
          body: {
            deployment_id: null,
            window_seconds: 86400,
            step_seconds: 3600,
            points: POINTS,
            totals: {
              requests: 2760,
              errors: 5,
              request_rate: 0.03,
              error_rate: 5 / 2760,
              latency_p50_ms: 3,
              latency_p99_ms: 9,
              drift_status: "drift",
              open_alerts: 1,
            },
          },
        },
        "GET /api/alerts": page([], 1),
        "GET /api/events/recent": {
          body: {
            seq: 10,
            items: [
              {
                id: "e2",
                seq: 2,
                subject: "evt.infra.deployment.ready.dep1",
                type: "infra.deployment.ready.v1",
                source: "infra",
                time: new Date().toISOString(),
                actor: null,
                data: { deployment_id: "dep1", model_name: "digits", model_version: 2 },
              },
            ],
          },
        },
        "GET /api/model-types": { body: [{ name: "mnist_pytorch_cnn", title: "Handwritten digits (CNN)" }] },
      },
      "admin",
    );
    render();
    expect(await within(await screen.findByTestId("stat-running")).findByText("1")).toBeInTheDocument();
    expect(screen.getByTestId("stat-running")).toHaveTextContent("2 waiting in the queue");
    expect(await within(screen.getByTestId("stat-succeeded")).findByText("7")).toBeInTheDocument();
    expect(await within(screen.getByTestId("stat-failed")).findByText("3")).toBeInTheDocument();
    expect(await within(screen.getByTestId("stat-requests")).findByText("2,760")).toBeInTheDocument();
    expect(screen.getByTestId("stat-error-rate")).toHaveTextContent("0.2 %");
    expect(within(screen.getByTestId("stat-alerts")).getByText("1")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: /Requests per hour over the last 24 hours: peak 230/ })).toBeInTheDocument();

    const row = (await screen.findByRole("link", { name: "digits" })).closest("tr")!;
    expect(within(row).getByText("v2")).toBeInTheDocument();
    expect(within(row).getByText("production")).toBeInTheDocument();
    expect(within(row).getByText("ready")).toBeInTheDocument();
    expect(within(row).getByText("2 of 2 ready")).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: /Open the deployment of digits v2/ })).toHaveAttribute("href", "/deployments/dep1");

    expect(await screen.findByRole("link", { name: "Deployment of digits v2 is ready" })).toHaveAttribute("href", "/deployments/dep1");
    expect(screen.queryByRole("heading", { name: "Get started" })).not.toBeInTheDocument();

    const running = calls.find((c) => c.path === "/api/workflows/runs" && c.query.get("status") === "running");
    expect(running?.query.get("limit")).toBe("1");
    const drift = calls.find((c) => c.path === "/api/alerts");
    expect(drift?.query.get("status")).toBe("open");
    expect(calls.find((c) => c.path === "/api/events/recent")?.query.get("limit")).toBe("20");
  });
});
