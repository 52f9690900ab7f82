import { configure, fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { MODEL_TYPES } from "./fixtures";
import { Models } from "./Models";

configure({ asyncUtilTimeout: 5000 });

const SUMMARY = {
  name: "cancer",
  model_type: "tabular_sklearn_classifier",
  latest_version: 3,
  latest_model_id: "mv3",
  production_version: 2,
  production_model_id: "mv2",
  status: "staging",
  metrics: { test_accuracy: 0.965, test_f1: 0.96, test_loss: 0.1 },
  aliases: { champion: 2 },
  tags: {},
  description: null,
  registered_at: "2026-01-02T10:00:00Z",
  updated_at: "2026-01-02T10:00:00Z",
};

function page(route = "/models") {
  return renderWithProviders(
    <AuthProvider>
      <Models />
    </AuthProvider>,
    { route },
  );
}

describe("Models", { timeout: 20000 }, () => {
  it("lists models with their versions, status and key metrics", async () => {
    fakeGateway({ ...MODEL_TYPES, "GET /api/models": { body: { items: [SUMMARY], total: 1, limit: 25, offset: 0 } } });
    page();
    const link = await screen.findByRole("link", { name: "cancer" });
    expect(link).toHaveAttribute("href", "/models/cancer");
    const row = link.closest("tr");
    expect(row).not.toBeNull();
    const cells = within(row as HTMLElement);
    expect(cells.getByText("v3")).toBeInTheDocument();
    expect(cells.getByText("v2")).toBeInTheDocument();
    expect(cells.getByText("production")).toBeInTheDocument();
    expect(cells.getByText("96.5 %")).toBeInTheDocument();
    expect(cells.getByText("champion → v2")).toBeInTheDocument();
    expect(screen.getByText("1 of 1 models")).toBeInTheDocument();
  });

  it("explains where models come from, with New workflow for editors", async () => {
    fakeGateway({ ...MODEL_TYPES, "GET /api/models": { body: { items: [], total: 0, limit: 25, offset: 0 } } });
    page();
    expect(await screen.findByRole("heading", { name: "No models registered yet" })).toBeInTheDocument();
    expect(screen.getByText(/as soon as a training run succeeds/)).toBeInTheDocument();
    expect(screen.getAllByRole("link", { name: "New workflow" })[0]).toHaveAttribute("href", "/workflows/new");
  });

  it("shows viewers no New workflow button", async () => {
    fakeGateway({ ...MODEL_TYPES, "GET /api/models": { body: { items: [], total: 0, limit: 25, offset: 0 } } }, "viewer");
    page();
    expect(await screen.findByRole("heading", { name: "No models registered yet" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New workflow" })).not.toBeInTheDocument();
  });

  it("sends the search and type filters to the API", async () => {
    const { calls } = fakeGateway({ ...MODEL_TYPES, "GET /api/models": { body: { items: [SUMMARY], total: 1, limit: 25, offset: 0 } } });
    page("/models?type=tabular_sklearn_classifier&sort=name");
    await screen.findByRole("link", { name: "cancer" });
    fireEvent.change(screen.getByLabelText("Search models"), { target: { value: "canc" } });
    await screen.findByRole("link", { name: "cancer" });
    await expect.poll(() => calls.filter((c) => c.path === "/api/models").at(-1)?.query.get("q"), { timeout: 3000 }).toBe("canc");
    const last = calls.filter((c) => c.path === "/api/models").at(-1);
    expect(last?.query.get("model_type")).toBe("tabular_sklearn_classifier");
    expect(last?.query.get("sort")).toBe("name");
  });

  it("lists versions with a status filter in the versions view", async () => {
    const { calls } = fakeGateway({
      ...MODEL_TYPES,
      "GET /api/mlops/models": {
        body: {
          models: [
            {
              model_id: "mv2", model_name: "cancer", version: 2, status: "production", model_type: "tabular_sklearn_classifier",
              job_id: "job2", metrics: { test_accuracy: 0.95 }, aliases: ["champion"], tags: {},
              registered_at: "2026-01-02T10:00:00Z", registered_by: "ada",
            },
          ],
          total: 1, limit: 25, offset: 0,
        },
      },
    });
    page("/models?view=versions&status=production");
    expect(await screen.findByRole("link", { name: "Open run of cancer version 2" })).toHaveAttribute("href", "/runs/job2");
    expect(calls.find((c) => c.path === "/api/mlops/models")?.query.getAll("status")).toEqual(["production"]);
    expect(screen.getByText("1 of 1 versions")).toBeInTheDocument();
  });
});
