import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { applyEvent } from "../../live/events";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { MODEL_TYPE, RUN } from "./fixtures";
import { Runs } from "./Runs";

vi.setConfig({ testTimeout: 30_000 });

const SUMMARY = {
  job_id: RUN.job_id,
  model_type: RUN.model_type,
  model_name: RUN.model_name,
  status: RUN.status,
  step: RUN.step,
  progress: RUN.progress,
  created_at: RUN.created_at,
  start_time: RUN.start_time,
  end_time: null,
  duration_seconds: 30,
  created_by: "ada",
  queue_position: null,
  metrics: {},
  error: null,
};

const FAILED = {
  ...SUMMARY,
  job_id: "ffff0000eeee1111",
  status: "failed",
  progress: 0,
  end_time: "2026-01-01T10:01:00Z",
  duration_seconds: 59,
  error: "local_path data.csv: no such file or directory",
};

function page(route = "/runs") {
  return renderWithProviders(
    <AuthProvider>
      <Runs />
    </AuthProvider>,
    { route },
  );
}

describe("Runs", () => {
  it("tells a new editor to start a workflow when there are no runs", async () => {
    fakeGateway({
      "GET /api/model-types": { body: [MODEL_TYPE] },
      "GET /api/workflows/runs": { body: { items: [], total: 0, limit: 20, offset: 0 } },
    });
    page();
    expect(await screen.findByRole("heading", { name: "No runs yet" })).toBeInTheDocument();
    const links = screen.getAllByRole("link", { name: "New workflow" });
    expect(links.length).toBeGreaterThan(0);
    links.forEach((link) => expect(link).toHaveAttribute("href", "/workflows/new"));
  });

  it("hides New workflow from viewers", async () => {
    fakeGateway(
      {
        "GET /api/model-types": { body: [MODEL_TYPE] },
        "GET /api/workflows/runs": { body: { items: [], total: 0, limit: 20, offset: 0 } },
      },
      "viewer",
    );
    page();
    expect(await screen.findByRole("heading", { name: "No runs yet" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New workflow" })).not.toBeInTheDocument();
  });

  it("lists runs with a link, the type's title, status and live progress", async () => {
    fakeGateway({
      "GET /api/model-types": { body: [MODEL_TYPE] },
      "GET /api/workflows/runs": { body: { items: [SUMMARY, FAILED], total: 2, limit: 20, offset: 0 } },
    });
    const { client } = page();
    const link = await screen.findByRole("link", { name: "Run f3a4b5c6" });
    expect(link).toHaveAttribute("href", `/runs/${RUN.job_id}`);
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Job id", "Model type", "Model name", "Status", "Started", "Ended", "Duration"]);
    const rows = screen.getAllByRole("row").slice(1);
    expect(await within(rows[0]!).findByText("Handwritten digits (CNN)")).toBeInTheDocument();
    expect(within(rows[0]!).getByText("running")).toBeInTheDocument();
    expect(within(rows[0]!).getByRole("progressbar", { name: "Progress of run f3a4b5c6" })).toHaveAttribute("aria-valuenow", "42");
    expect(within(rows[1]!).getByText("failed")).toBeInTheDocument();
    expect(within(rows[1]!).getByText(/no such file/)).toBeInTheDocument();
    expect(within(rows[1]!).getByText("59 s")).toBeInTheDocument();

    act(() =>
      applyEvent(client, {
        id: "e1",
        type: "workflow.run.progressed.v1",
        source: "workflow",
        time: "2026-01-01T10:00:40Z",
        data: { job_id: RUN.job_id, epoch: 2, epochs: 3, fraction: 0.75 },
        seq: 1,
        subject: "evt.workflow.run.progressed." + RUN.job_id,
      }),
    );
    await waitFor(() => expect(within(rows[0]!).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "75"));
  });

  it("filters by status and model type, and pages", async () => {
    const { calls } = fakeGateway({
      "GET /api/model-types": { body: [MODEL_TYPE] },
      "GET /api/workflows/runs": ({ query }) => ({
        body: { items: [{ ...SUMMARY, job_id: `run${query.get("offset")}xxxxxxxx` }], total: 45, limit: 20, offset: Number(query.get("offset")) },
      }),
    });
    page();
    expect(await screen.findByText("1–20 of 45 runs")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Page 2" }));
    expect(await screen.findByText("21–40 of 45 runs")).toBeInTheDocument();
    expect(calls.at(-1)?.query.get("offset")).toBe("20");

    await userEvent.click(screen.getByLabelText("Status", { selector: "input" }));
    await userEvent.click(await screen.findByRole("option", { name: "Failed", hidden: true }));
    await waitFor(() => expect(calls.at(-1)?.query.getAll("status")).toEqual(["failed"]));
    expect(calls.at(-1)?.query.get("offset")).toBe("0");

    await userEvent.click(screen.getByLabelText("Model type", { selector: "input" }));
    await userEvent.click(await screen.findByRole("option", { name: "Handwritten digits (CNN)", hidden: true }));
    await waitFor(() => expect(calls.at(-1)?.query.get("model_type")).toBe("mnist_pytorch_cnn"));
  });

  it("says when filters match nothing, with a way back", async () => {
    fakeGateway({
      "GET /api/model-types": { body: [MODEL_TYPE] },
      "GET /api/workflows/runs": ({ query }) => ({
        body: query.getAll("status").length ? { items: [], total: 0, limit: 20, offset: 0 } : { items: [SUMMARY], total: 1, limit: 20, offset: 0 },
      }),
    });
    page("/runs?status=cancelled");
    expect(await screen.findByRole("heading", { name: "No runs match these filters" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(await screen.findByRole("link", { name: "Run f3a4b5c6" })).toBeInTheDocument();
  });
});
