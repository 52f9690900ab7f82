import { configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { Alerts } from "./Alerts";

configure({ asyncUtilTimeout: 5000 });

const DRIFT = {
  alert_id: "al1",
  alert_type: "drift_detected",
  severity: "warning",
  status: "open",
  message: "drift detected on digits v1: features ink_fraction moved away from the training data",
  timestamp: "2026-01-01T10:00:00Z",
  last_seen_at: "2026-01-01T10:05:00Z",
  occurrences: 4,
  deployment_id: "dep1234567890",
  model_name: "digits",
  details: {
    model_name: "digits",
    avg_confidence: 0.73,
    reference_confidence: 0.97,
    confidence_drop: 0.24,
    features: ["ink_fraction"],
    scores: {
      ink_fraction: { psi: 1.47, ks: 0.52, drifted: true },
      std_intensity: { psi: 0.01, ks: 0.03, drifted: false },
    },
    window: 1362,
    thresholds: { psi: 0.25, confidence_drop: 0.1, min_window: 500 },
  },
  acknowledged_by: null,
  acknowledged_at: null,
  acknowledge_note: null,
  resolved_by: null,
  resolved_at: null,
  resolve_note: null,
};

const page = (route = "/alerts") =>
  renderWithProviders(
    <AuthProvider>
      <Alerts />
    </AuthProvider>,
    { route },
  );

const list = (items: unknown[]) => ({ body: { items, total: items.length, limit: 25, offset: 0 } });
const command = { command_id: "c1", correlation_id: "k1", type: "x", service: "infra", actor_id: "ada", status: "succeeded", created_at: "2026-01-01T10:00:00Z" };

describe("Alerts", { timeout: 20000 }, () => {
  it("says what raises an alert when there is none", async () => {
    fakeGateway({ "GET /api/alerts": list([]) });
    page();
    expect(await screen.findByRole("heading", { name: "No alerts" })).toBeInTheDocument();
    expect(screen.getByText(/drift away from its training data/)).toBeInTheDocument();
  });

  it("lists alerts with severity, type, links and counts, and filters by status", async () => {
    const { calls } = fakeGateway({ "GET /api/alerts": list([DRIFT]) });
    page();
    const card = await screen.findByRole("article", { name: "Drift detected" });
    expect(within(card).getByText("warning")).toBeInTheDocument();
    expect(within(card).getByText("open")).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Model digits" })).toHaveAttribute("href", "/models/digits");
    expect(within(card).getByRole("link", { name: "Deployment 34567890" })).toHaveAttribute("href", "/deployments/dep1234567890");
    expect(within(card).getByText(/4 occurrences/)).toBeInTheDocument();
    const status = screen.getByRole("radiogroup", { name: "Status" });
    await userEvent.click(within(status).getByLabelText("Acknowledged"));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/alerts" && c.query.getAll("status").includes("acknowledged"))).toBe(true));
  });

  it("shows the drifted features and their scores in the details", async () => {
    fakeGateway({ "GET /api/alerts": list([DRIFT]), "GET /api/alerts/al1": { body: DRIFT } });
    page();
    await userEvent.click(await screen.findByRole("button", { name: /Details/ }));
    const drawer = await screen.findByRole("dialog");
    expect(await within(drawer).findByText("What drifted")).toBeInTheDocument();
    const rows = within(drawer).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("ink_fraction1.470.52yes");
    expect(rows[2]).toHaveTextContent("std_intensity0.010.03no");
    expect(within(drawer).getByText(/73.0 %/)).toBeInTheDocument();
  });

  it("acknowledges with a note", async () => {
    const { calls } = fakeGateway({ "GET /api/alerts": list([DRIFT]), "POST /api/alerts/al1/acknowledge": { body: command } });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Acknowledge" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Note"), "Looking at it");
    await userEvent.click(within(dialog).getByRole("button", { name: "Acknowledge alert" }));
    await waitFor(() =>
      expect(calls.find((c) => c.path === "/api/alerts/al1/acknowledge")?.body).toEqual({ note: "Looking at it" }),
    );
  });

  it("explains a 409 when someone resolved it first", async () => {
    fakeGateway({
      "GET /api/alerts": list([DRIFT]),
      "POST /api/alerts/al1/resolve": { status: 409, body: { title: "Conflict", status: 409, detail: "alert al1 is already resolved" } },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Resolve" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Resolve alert" }));
    expect(await within(dialog).findByText(/alert al1 is already resolved/)).toBeInTheDocument();
    expect(within(dialog).getByText("Already changed")).toBeInTheDocument();
  });

  it("hides Acknowledge and Resolve from viewers", async () => {
    fakeGateway({ "GET /api/alerts": list([DRIFT]) }, "viewer");
    page();
    await screen.findByRole("article", { name: "Drift detected" });
    expect(screen.queryByRole("button", { name: "Acknowledge" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Resolve" })).not.toBeInTheDocument();
  });
});
