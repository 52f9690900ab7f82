import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { applyEvent, type LiveEvent } from "../../live/events";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { LOG, MODEL_TYPE, RUN } from "./fixtures";
import { RunDetail } from "./RunDetail";

vi.setConfig({ testTimeout: 30_000 });

const RUN_PATH = `/api/workflows/runs/${RUN.job_id}`;

function page() {
  return renderWithProviders(
    <AuthProvider>
      <Routes>
        <Route path="/runs/:jobId" element={<RunDetail />} />
      </Routes>
    </AuthProvider>,
    { route: `/runs/${RUN.job_id}` },
  );
}

function event(type: string, data: Record<string, unknown>, seq: number): LiveEvent {
  return { id: `e${seq}`, type, source: "workflow", time: "2026-01-01T10:00:40Z", data: { job_id: RUN.job_id, ...data }, seq, subject: type };
}

const routes = (run: object = RUN, role: "viewer" | "editor" = "editor") =>
  fakeGateway(
    {
      "GET /api/model-types": { body: [MODEL_TYPE] },
      [`GET ${RUN_PATH}`]: { body: run },
      [`GET ${RUN_PATH}/logs`]: { body: LOG },
      [`POST ${RUN_PATH}/cancel`]: { body: { job_id: RUN.job_id, status: "cancelling", command_id: "c1" } },
    },
    role,
  );

describe("RunDetail", () => {
  it("shows the run: name, status, progress, steps, epochs and parameters", async () => {
    routes();
    page();
    expect(await screen.findByRole("heading", { level: 1, name: "digits" })).toBeInTheDocument();
    expect(screen.getAllByText("running").length).toBeGreaterThan(0);
    expect(screen.getByText("f3a4b5c6")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuenow", "42");
    expect(screen.getByText("42 %")).toBeInTheDocument();
    expect(screen.getByText(/epoch 2 of 3/)).toBeInTheDocument();
    for (const step of ["Train", "Evaluate (quality gate)", "Register in the registry", "Deploy"]) {
      expect(screen.getByText(step)).toBeInTheDocument();
    }
    const chart = screen.getByTestId("epoch-chart");
    expect(chart).toHaveAttribute("data-epochs", "1");
    expect(chart).toHaveAttribute("role", "img");
    expect(chart).toHaveAccessibleName(/1 of 3 epochs finished. Epoch 1: .*validation accuracy 93.0 %/);
    expect(screen.getByRole("columnheader", { name: "Validation loss" })).toBeInTheDocument();
    expect(screen.getByRole("rowheader", { name: "Learning rate" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Run log" })).toBeInTheDocument();
  });

  it("moves with live events: progress, epochs and log lines", async () => {
    routes();
    const { client } = page();
    const log = await screen.findByRole("log", { name: "Log lines" });
    expect(await within(log).findByText(/disk is slow/)).toBeInTheDocument();

    act(() => {
      applyEvent(client, event("workflow.run.progressed.v1", { fraction: 0.8, epoch: 2, epochs: 3 }, 1));
      applyEvent(
        client,
        event("workflow.run.epoch_completed.v1", { epoch: 2, epochs: 3, metrics: { loss: 0.2, accuracy: 0.95, val_loss: 0.15, val_accuracy: 0.96 }, seconds: 11 }, 2),
      );
      applyEvent(client, event("workflow.run.logged.v1", { offset: LOG.next_offset, text: "10:00:40 INFO epoch 2/3 done\n" }, 3));
    });
    await waitFor(() => expect(screen.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuenow", "80"));
    expect(screen.getByTestId("epoch-chart")).toHaveAttribute("data-epochs", "2");
    expect(await within(log).findByText("10:00:40 INFO epoch 2/3 done")).toBeInTheDocument();
    expect(screen.getByText(/4 lines/)).toBeInTheDocument();
  });

  it("searches the log and offers it for download", async () => {
    routes();
    page();
    const log = await screen.findByRole("log", { name: "Log lines" });
    await within(log).findByText(/disk is slow/);
    await userEvent.type(screen.getByLabelText("Search the log"), "error");
    expect(screen.getByText("1 of 3 lines contain “error”.")).toBeInTheDocument();
    expect(within(log).queryByText(/queued by ada/)).not.toBeInTheDocument();
    expect(within(log).getByText("ERROR").tagName).toBe("MARK");
    expect(screen.getByRole("link", { name: "Download log" })).toHaveAttribute("href", `${RUN_PATH}/logs?download=true`);
    expect(screen.getByRole("switch", { name: "Follow" })).toBeChecked();
  });

  it("cancels after confirmation, with the reason", async () => {
    const { calls } = routes();
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Cancel run" }));
    const dialog = await screen.findByRole("dialog", { name: "Cancel this run?" });
    await userEvent.type(within(dialog).getByLabelText("Reason (optional)"), "wrong data");
    await userEvent.click(within(dialog).getByRole("button", { name: "Yes, cancel run" }));
    expect(await screen.findByText("Run cancelled")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ reason: "wrong data" });
  });

  it("lets viewers watch but not cancel", async () => {
    routes(RUN, "viewer");
    page();
    await screen.findByRole("heading", { level: 1, name: "digits" });
    expect(screen.queryByRole("button", { name: "Cancel run" })).not.toBeInTheDocument();
  });

  it("says prominently why a run failed, and what to do", async () => {
    routes({
      ...RUN,
      status: "failed",
      step: "train",
      error: "local_path data.csv: no such file or directory",
      error_code: "data_error",
      end_time: "2026-01-01T10:01:00Z",
    });
    page();
    const alert = (await screen.findByText("This run failed at the train step")).closest("[role=alert]") as HTMLElement;
    expect(alert).toHaveTextContent("This run failed at the train step");
    expect(alert).toHaveTextContent("no such file or directory");
    expect(alert).toHaveTextContent("Check the data source");
    expect(screen.queryByRole("button", { name: "Cancel run" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Run again" })).toHaveAttribute("href", `/workflows/new?from=${RUN.job_id}`);
  });

  it("links the registered model and the deployment of a finished run", async () => {
    routes({
      ...RUN,
      status: "succeeded",
      progress: 1,
      metrics: { test_accuracy: 0.987, test_loss: 0.04 },
      model_id: "mv1",
      deployment_id: "dep1",
      steps: RUN.steps.map((s) => ({ ...s, status: "succeeded", detail: s.name === "register" ? "digits version 3" : null })),
    });
    page();
    expect(await screen.findByRole("link", { name: "Open in registry" })).toHaveAttribute("href", "/models/digits");
    expect(screen.getByRole("link", { name: "Open deployment" })).toHaveAttribute("href", "/deployments/dep1");
    expect(screen.getByText("Registered as digits version 3.")).toBeInTheDocument();
    expect(screen.getByText("Test accuracy")).toBeInTheDocument();
    expect(screen.getByText("98.7 %")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuenow", "100");
  });
});
