import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useParams } from "react-router";
import { describe, expect, it, vi } from "vitest";

// A big form on a busy two-core machine: give each test room.
vi.setConfig({ testTimeout: 30_000 });

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { MODEL_TYPE, RUN, TABLE_TYPE } from "../runs/fixtures";
import { CreateWorkflow } from "./CreateWorkflow";

function RunPage() {
  const { jobId } = useParams();
  return <p>Run page {jobId}</p>;
}

function page(route = "/workflows/new") {
  return renderWithProviders(
    <AuthProvider>
      <Routes>
        <Route path="/workflows/new" element={<CreateWorkflow />} />
        <Route path="/runs/:jobId" element={<RunPage />} />
      </Routes>
    </AuthProvider>,
    { route },
  );
}

const types = { "GET /api/model-types": { body: [MODEL_TYPE, TABLE_TYPE] } };

function input(label: string): HTMLElement {
  return screen.getByLabelText(label, { selector: "input" });
}

describe("CreateWorkflow", () => {
  it("offers the catalog's model types and draws the chosen type's form", async () => {
    fakeGateway(types);
    page();
    const select = await screen.findByLabelText("Model type", { selector: "input" });
    expect(select).toHaveValue("Handwritten digits (CNN)");
    expect(input("Epochs")).toHaveValue("1");
    await userEvent.click(select);
    expect(await screen.findByText("Predicts a category column of a table.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("option", { name: /Table classifier/, hidden: true }));
    expect(input("Model type")).toHaveValue("Table classifier (scikit-learn)");
    expect(screen.getByRole("group", { name: "Model parameters" })).toBeInTheDocument();
  });

  it("starts the run and opens its page", async () => {
    const { calls } = fakeGateway({
      ...types,
      "POST /api/mlops/execute_workflow": {
        body: { job_id: RUN.job_id, status: "queued", queue_position: 1, command_id: "c1", correlation_id: "k1" },
      },
    });
    page();
    await userEvent.click(await screen.findByLabelText("Model name"));
    await userEvent.paste("digits");
    await userEvent.tripleClick(input("Epochs"));
    await userEvent.paste("2");
    await userEvent.click(screen.getByRole("switch", { name: "Deploy if training succeeds" }));
    await userEvent.click(screen.getByRole("button", { name: "Run now" }));
    expect(await screen.findByText(`Run page ${RUN.job_id}`)).toBeInTheDocument();
    expect(await screen.findByText("Workflow started")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST");
    expect(post?.body).toMatchObject({
      workflow_params: {
        model_type: "mnist_pytorch_cnn",
        model_name: "digits",
        training: { epochs: 2, batch_size: 64, params: { learning_rate: 0.001 } },
        deployment: { deploy_if_trained_success: true, replicas: 1 },
      },
    });
    expect((post?.body as { workflow_params: object }).workflow_params).not.toHaveProperty("data");
  });

  it("shows a 422 on the field it names and scrolls to it", async () => {
    const scroll = vi.spyOn(Element.prototype, "scrollIntoView");
    fakeGateway({
      ...types,
      "POST /api/mlops/execute_workflow": {
        status: 422,
        body: {
          title: "Invalid request",
          status: 422,
          detail: "workflow_params.training.params.learning_rate: must be at most 1.0",
          field: "workflow_params.training.params.learning_rate",
        },
      },
    });
    page();
    const rate = await screen.findByLabelText("Learning rate");
    await userEvent.clear(rate);
    await userEvent.type(rate, "5");
    await userEvent.click(screen.getByRole("button", { name: "Run now" }));
    await waitFor(() => expect(rate).toHaveAttribute("aria-invalid", "true"));
    expect(rate).toHaveAccessibleDescription(expect.stringContaining("Must be at most 1.0"));
    expect(screen.getByText("Fix the highlighted field, then run again.")).toBeInTheDocument();
    await waitFor(() => expect(scroll).toHaveBeenCalled());
    expect(scroll.mock.contexts[0]).toBe(rate);
    await userEvent.type(rate, "{backspace}0.5");
    expect(rate).not.toHaveAttribute("aria-invalid", "true");
    scroll.mockRestore();
  });

  it("opens Advanced to show an error on a resource field", async () => {
    fakeGateway({
      ...types,
      "POST /api/mlops/execute_workflow": {
        status: 422,
        body: {
          status: 422,
          detail: "bad memory",
          errors: [{ field: "workflow_params.training.resource_limits.memory", message: "'lots' is not a memory quantity" }],
        },
      },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Run now" }));
    const memory = await screen.findByLabelText("Memory limit");
    await waitFor(() => expect(memory).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByRole("button", { name: /Advanced/ })).toHaveAttribute("aria-expanded", "true");
  });

  it("says what went wrong above the button when no field is to blame", async () => {
    fakeGateway({
      ...types,
      "POST /api/mlops/execute_workflow": { status: 503, body: { status: 503, detail: "The workflow service is not answering." } },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Run now" }));
    expect(await screen.findByText("The workflow service is not answering.")).toBeInTheDocument();
    expect(screen.getByText("The run did not start")).toBeInTheDocument();
  });

  it("copies an earlier run's settings for Run again", async () => {
    fakeGateway({
      ...types,
      [`GET /api/workflows/runs/${RUN.job_id}`]: { body: RUN },
    });
    page(`/workflows/new?from=${RUN.job_id}`);
    expect(await screen.findByText(/Settings copied from run/)).toBeInTheDocument();
    expect(screen.getByLabelText("Model name")).toHaveValue("digits");
    expect(input("Epochs")).toHaveValue("3");
    expect(screen.getByLabelText("Minimum value")).toHaveValue("0.9");
  });
});
