import { configure, fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Route, Routes, useLocation } from "react-router";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { command, model, MODEL_TYPES, NO_DEPLOYMENTS } from "./fixtures";
import { ModelDetail } from "./ModelDetail";

configure({ asyncUtilTimeout: 8000 });

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function page() {
  return renderWithProviders(
    <AuthProvider>
      <Routes>
        <Route path="/models/compare" element={<Where />} />
        <Route path="/models/:modelName" element={<ModelDetail />} />
      </Routes>
    </AuthProvider>,
    { route: "/models/cancer" },
  );
}

const EDITOR_BUTTONS = ["Deploy", "Promote", "Rollback", "Set alias"];

describe("ModelDetail", { timeout: 30000 }, () => {
  it("shows the model, its versions, chart, timeline and deployments", async () => {
    fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { body: model() },
      "GET /api/deployments": {
        body: {
          items: [
            {
              deployment_id: "dep1234567890", status: "ready", model_id: "mv2", model_name: "cancer", model_version: 2,
              model_type: "tabular_sklearn_classifier", namespace: "default", runtime: "local", replicas_desired: 2,
              replicas_ready: 2, resource_requests: {}, resource_limits: {}, follow_production: true,
              endpoint: "/api/deployments/dep1234567890", reason: null, rolling_from: null, created_by: "ada",
              created_at: "2026-01-02T11:00:00Z", updated_at: "2026-01-02T11:00:00Z",
            },
          ],
          total: 1, limit: 200, offset: 0,
        },
      },
    });
    page();
    expect(await screen.findByRole("heading", { level: 1, name: "cancer" })).toBeInTheDocument();
    expect(screen.getByText("Finds malignant tumours in biopsy measurements.")).toBeInTheDocument();
    expect(screen.getByText("Production: version 2")).toBeInTheDocument();
    expect(screen.getByText("champion → v2")).toBeInTheDocument();
    expect(screen.getByText("team: oncology")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: /Test accuracy: 91\.0 % at v1, 92\.0 % at v2, 93\.0 % at v3/ })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Run aaaaaaaa that trained version 3/ })).toHaveAttribute("href", "/runs/job3aaaaaaaa");
    const deployment = await screen.findByRole("link", { name: /Deployment 34567890 of version 2/ });
    expect(deployment).toHaveAttribute("href", "/deployments/dep1234567890");
    expect(screen.getByText("2 of 2 ready")).toBeInTheDocument();
    expect(screen.getByText("Version 3 registered")).toBeInTheDocument();
    for (const name of EDITOR_BUTTONS) expect(screen.getByRole("button", { name })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Remove alias champion" })).toBeInTheDocument();
  });

  it("shows viewers no edit buttons, but lets them compare", async () => {
    fakeGateway({ ...MODEL_TYPES, "GET /api/models/cancer": { body: model() }, "GET /api/deployments": NO_DEPLOYMENTS }, "viewer");
    page();
    await screen.findByRole("heading", { level: 1, name: "cancer" });
    for (const name of [...EDITOR_BUTTONS, "Remove alias champion", "Actions for version 1", "Deploy a version"]) {
      expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    }
    const compare = screen.getByRole("button", { name: "Compare" });
    expect(compare).toBeDisabled();
    fireEvent.click(screen.getByRole("checkbox", { name: "Select version 3 to compare" }));
    expect(compare).toBeDisabled();
    fireEvent.click(screen.getByRole("checkbox", { name: "Select version 1 to compare" }));
    expect(compare).toBeEnabled();
    fireEvent.click(compare);
    expect(await screen.findByTestId("where")).toHaveTextContent("/models/compare?ids=mv1,mv3");
  });

  it("deploys a version and shows the API's field errors on the right input", async () => {
    let attempts = 0;
    const { calls } = fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { body: model() },
      "GET /api/deployments": NO_DEPLOYMENTS,
      "POST /api/mlops/deploy_model": () => {
        attempts += 1;
        return attempts === 1
          ? {
              status: 422,
              body: {
                title: "Invalid request", status: 422, detail: "resource_limits.memory: 'lots' is not a memory quantity",
                field: "resource_limits.memory", errors: [{ field: "resource_limits.memory", message: "'lots' is not a memory quantity: use e.g. '4Gi'" }],
              },
            }
          : { body: { deployment_id: "dep9", status: "pending", endpoint: "/api/deployments/dep9", command_id: "c", correlation_id: "k", model_name: "cancer", model_version: 2 } };
      },
    });
    page();
    fireEvent.click(await screen.findByRole("button", { name: "Deploy" }));
    const dialog = within(await screen.findByRole("dialog"));
    expect(dialog.getByRole("switch", { name: /Follow production/ })).toBeChecked();
    fireEvent.change(dialog.getByRole("textbox", { name: "Replicas" }), { target: { value: "3" } });
    fireEvent.change(dialog.getByLabelText("Memory limit"), { target: { value: "lots" } });
    fireEvent.click(dialog.getByRole("button", { name: "Deploy version" }));
    expect(await dialog.findByText("'lots' is not a memory quantity: use e.g. '4Gi'")).toBeInTheDocument();
    expect(dialog.getByLabelText("Memory limit")).toHaveAttribute("aria-invalid", "true");
    fireEvent.change(dialog.getByLabelText("Memory limit"), { target: { value: "1Gi" } });
    fireEvent.click(dialog.getByRole("button", { name: "Deploy version" }));
    expect(await dialog.findByRole("link", { name: "Open the deployment" })).toHaveAttribute("href", "/deployments/dep9");
    const sent = calls.filter((c) => c.path === "/api/mlops/deploy_model").at(-1);
    expect(sent?.body).toEqual({
      model_id: "mv2",
      replicas: 3,
      namespace: "default",
      follow_production: true,
      resource_limits: { cpu: null, memory: "1Gi" },
    });
  });

  it("offers only the status moves the registry allows, and promotes", async () => {
    const { calls } = fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { body: model() },
      "GET /api/deployments": NO_DEPLOYMENTS,
      "POST /api/mlops/promote_model": command(),
    });
    page();
    fireEvent.click(await screen.findByRole("button", { name: "Promote" }));
    const dialog = within(await screen.findByRole("dialog"));
    // Version 3 is staging: it may become production, archived or registered.
    expect(dialog.getByText(/Version 3 is staging; it may become production, archived, registered/)).toBeInTheDocument();
    expect(dialog.getByText(/Version 2 leaves production and is archived/)).toBeInTheDocument();
    fireEvent.click(dialog.getByRole("button", { name: "Promote" }));
    expect(await screen.findByText("cancer version 3 is now production.")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/mlops/promote_model")?.body).toEqual({ model_id: "mv3", new_status: "production", note: null });
  });

  it("shows a 409 from the registry inside the promote window", async () => {
    fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { body: model() },
      "GET /api/deployments": NO_DEPLOYMENTS,
      "POST /api/mlops/promote_model": {
        status: 409,
        body: { title: "Conflict", status: 409, detail: "cancer version 3 is archived: it may become registered, staging", field: "new_status" },
      },
    });
    page();
    fireEvent.click(await screen.findByRole("button", { name: "Promote" }));
    const dialog = within(await screen.findByRole("dialog"));
    fireEvent.click(dialog.getByRole("button", { name: "Promote" }));
    expect(await dialog.findByRole("alert")).toHaveTextContent("The version was not moved");
    expect(dialog.getAllByText("cancer version 3 is archived: it may become registered, staging").length).toBeGreaterThan(0);
  });

  it("rolls back production to an earlier version", async () => {
    const { calls } = fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { body: model() },
      "GET /api/deployments": NO_DEPLOYMENTS,
      "POST /api/mlops/rollback_model": command(),
    });
    page();
    fireEvent.click(await screen.findByRole("button", { name: "Rollback" }));
    const dialog = within(await screen.findByRole("dialog"));
    expect(dialog.getByText("Version 2 is in production now.")).toBeInTheDocument();
    expect(dialog.getByText(/Deployments that follow production switch to version 1/)).toBeInTheDocument();
    fireEvent.change(dialog.getByLabelText("Note"), { target: { value: "v2 drifts" } });
    fireEvent.click(dialog.getByRole("button", { name: "Roll back" }));
    expect(await screen.findByText("cancer rolled back: version 1 is in production again.")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/mlops/rollback_model")?.body).toEqual({
      current_model_id: "mv2",
      target_model_id: "mv1",
      note: "v2 drifts",
    });
  });

  it("checks an alias name before saving it, and removes one", async () => {
    const { calls } = fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { body: model() },
      "GET /api/deployments": NO_DEPLOYMENTS,
      "PUT /api/models/cancer/aliases/candidate": command(),
      "DELETE /api/models/cancer/aliases/champion": command(),
    });
    page();
    fireEvent.click(await screen.findByRole("button", { name: "Set alias" }));
    const dialog = within(await screen.findByRole("dialog"));
    fireEvent.change(dialog.getByRole("textbox", { name: /Alias/ }), { target: { value: "Candidate!" } });
    fireEvent.click(dialog.getByRole("button", { name: "Save alias" }));
    expect(await dialog.findByText(/Use lower-case letters/)).toBeInTheDocument();
    fireEvent.change(dialog.getByRole("textbox", { name: /Alias/ }), { target: { value: "candidate" } });
    fireEvent.click(dialog.getByRole("button", { name: "Save alias" }));
    expect(await screen.findByText("Alias candidate now points at version 3.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ version: 3 });
    fireEvent.click(screen.getByRole("button", { name: "Remove alias champion" }));
    expect(await screen.findByText("Alias champion removed.")).toBeInTheDocument();
  });

  it("says so when the model does not exist", async () => {
    fakeGateway({
      ...MODEL_TYPES,
      "GET /api/models/cancer": { status: 404, body: { title: "Not found", status: 404, detail: "no model named cancer" } },
      "GET /api/deployments": NO_DEPLOYMENTS,
    });
    page();
    expect(await screen.findByRole("heading", { name: "No model named cancer" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to the registry" })).toHaveAttribute("href", "/models");
  });
});
