import { configure, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { MODEL_TYPES, version } from "./fixtures";
import { bestIndex, CompareVersions } from "./CompareVersions";

configure({ asyncUtilTimeout: 8000 });

function view(v: ReturnType<typeof version>) {
  const { model_id, model_name, version: number, status, model_type, job_id, metrics, aliases, tags, registered_at, registered_by } = v;
  return { model_id, model_name, version: number, status, model_type, job_id, metrics, aliases, tags, registered_at, registered_by };
}

function page(route: string) {
  return renderWithProviders(
    <AuthProvider>
      <CompareVersions />
    </AuthProvider>,
    { route },
  );
}

describe("CompareVersions", { timeout: 30000 }, () => {
  it("puts metrics, differing parameters, data and runs side by side", async () => {
    const v1 = version(1, "archived");
    const v3 = version(3, "production", { dataset: { sha256: "ffff", path: "/data/other.csv", rows: 100, source: "local_path" } });
    const { calls } = fakeGateway({
      ...MODEL_TYPES,
      "GET /api/model-versions/compare": {
        body: {
          versions: [view(v1), view(v3)],
          metrics: { test_accuracy: [0.91, 0.93], test_loss: [0.29, 0.27] },
          params: { "params.estimator": ["random_forest", "logistic_regression"] },
          same_dataset: false,
        },
      },
      "GET /api/model-versions/mv1": { body: v1 },
      "GET /api/model-versions/mv3": { body: v3 },
    });
    page("/models/compare?ids=mv1,mv3");
    expect(await screen.findByRole("heading", { level: 1, name: "Compare versions" })).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/model-versions/compare")?.query.getAll("model_id")).toEqual(["mv1", "mv3"]);
    expect(await screen.findByText(/Different data/)).toBeInTheDocument();
    const accuracy = screen.getByRole("rowheader", { name: "Test accuracy" }).closest("tr") as HTMLElement;
    expect(within(accuracy).getByText("93.0 %")).toBeInTheDocument();
    expect(within(accuracy).getByText("best")).toBeInTheDocument();
    const loss = screen.getByRole("rowheader", { name: "Test loss" }).closest("tr") as HTMLElement;
    expect(within(loss).getAllByRole("cell")[1]).toHaveTextContent("best");
    expect(screen.getByRole("img", { name: /Test accuracy: v1 91\.0 %, v3 93\.0 %/ })).toBeInTheDocument();
    const estimator = screen.getByRole("rowheader", { name: /params\.estimator/ }).closest("tr") as HTMLElement;
    expect(within(estimator).getByText("differs")).toBeInTheDocument();
    expect(within(estimator).getByText("logistic_regression")).toBeInTheDocument();
    expect(await screen.findByText("data/other.csv")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Run aaaaaaaa that trained cancer v3/ })).toHaveAttribute("href", "/runs/job3aaaaaaaa");
    expect(screen.getByRole("link", { name: "← cancer" })).toHaveAttribute("href", "/models/cancer");
  });

  it("asks for versions when fewer than two are given", async () => {
    fakeGateway(MODEL_TYPES);
    page("/models/compare?ids=mv1");
    expect(await screen.findByRole("heading", { name: "Pick the versions to compare" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open the model registry" })).toHaveAttribute("href", "/models");
  });

  it("explains an unknown version", async () => {
    fakeGateway({
      ...MODEL_TYPES,
      "GET /api/model-versions/compare": { status: 404, body: { title: "Not found", status: 404, detail: "no model version zz" } },
      "GET /api/model-versions/mv1": { body: version(1, "archived") },
    });
    page("/models/compare?ids=mv1,zz");
    expect(await screen.findByRole("heading", { name: "These versions cannot be compared" })).toBeInTheDocument();
    expect(screen.getByText(/no model version zz/)).toBeInTheDocument();
  });
});

describe("bestIndex", () => {
  it("picks the highest value, or the lowest loss, and none on a tie", () => {
    expect(bestIndex("test_accuracy", [0.9, 0.95, null])).toBe(1);
    expect(bestIndex("val_loss", [0.3, 0.2, 0.25])).toBe(1);
    expect(bestIndex("test_accuracy", [0.9, 0.9])).toBeNull();
    expect(bestIndex("test_accuracy", [null, null])).toBeNull();
  });
});
