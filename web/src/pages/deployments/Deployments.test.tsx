import { configure, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { DEPLOYMENT, SERIES } from "./fixtures";
import { Deployments } from "./Deployments";

// Charts make the first render slow in jsdom.
configure({ asyncUtilTimeout: 5000 });

function page() {
  return renderWithProviders(
    <AuthProvider>
      <Deployments />
    </AuthProvider>,
    { route: "/deployments" },
  );
}

describe("Deployments", () => {
  it("explains how to deploy when nothing is deployed", async () => {
    fakeGateway({ "GET /api/deployments": { body: { items: [], total: 0, limit: 200, offset: 0 } } });
    page();
    expect(await screen.findByRole("heading", { name: "Nothing deployed yet" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open the registry" })).toHaveAttribute("href", "/models");
    expect(screen.getByText(/Deploy if training succeeds/)).toBeInTheDocument();
  });

  it("lists deployments with status, replicas, policy and a link to each", async () => {
    fakeGateway({
      "GET /api/deployments": {
        body: {
          items: [DEPLOYMENT, { ...DEPLOYMENT, deployment_id: "dep2", status: "degraded", replicas_ready: 1, follow_production: false, reason: "replica r1 was killed by signal 9; restarting it" }],
          total: 2,
          limit: 200,
          offset: 0,
        },
      },
      "GET /api/deployments/dep1234567890/metrics": { body: SERIES },
      "GET /api/deployments/dep2/metrics": { body: SERIES },
    });
    page();
    expect(await screen.findAllByRole("link", { name: "digits v2" })).toHaveLength(2);
    const rows = screen.getAllByRole("row").slice(1);
    expect(within(rows[0]!).getByText("ready")).toBeInTheDocument();
    expect(within(rows[0]!).getByText("2 / 2 ready")).toBeInTheDocument();
    expect(within(rows[0]!).getByText("Follows production")).toBeInTheDocument();
    expect(within(rows[0]!).getByRole("link", { name: "digits v2" })).toHaveAttribute("href", "/deployments/dep1234567890");
    expect(within(rows[1]!).getByText("degraded")).toBeInTheDocument();
    expect(within(rows[1]!).getByText("Pinned")).toBeInTheDocument();
    expect(within(rows[1]!).getByText(/killed by signal 9/)).toBeInTheDocument();
    expect(await within(rows[0]!).findByRole("img", { name: /90 requests in the last hour/ })).toBeInTheDocument();
  });
});
