import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway, type Call } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { AdminTokens, MyTokens } from "./Tokens";

const future = new Date(Date.now() + 30 * 86_400_000).toISOString();

const token = (id: string, name: string, extra: object = {}) => ({
  id,
  name,
  prefix: `mlops_${id}`,
  created_at: "2026-01-01T00:00:00Z",
  expires_at: future,
  revoked_at: null as string | null,
  last_used_at: null as string | null,
  ...extra,
});

describe("MyTokens", { timeout: 30_000 }, () => {
  it("creates a token and shows it once, then revokes one after confirming", async () => {
    const tokens = [token("t1", "ci", { last_used_at: new Date().toISOString() })];
    const { calls } = fakeGateway(
      {
        "GET /api/auth/tokens": () => ({ body: tokens }),
        "POST /api/auth/tokens": (call: Call) => {
          const body = call.body as { name: string };
          const created = token("t2", body.name);
          tokens.push(created);
          return { status: 201, body: { ...created, token: "mlops_t2secretsecretsecret" } };
        },
        "DELETE /api/auth/tokens/t1": () => {
          const revoked = { ...tokens[0]!, revoked_at: new Date().toISOString() };
          tokens[0] = revoked;
          return { body: revoked };
        },
      },
      "admin",
    );
    renderWithProviders(
      <AuthProvider>
        <MyTokens />
      </AuthProvider>,
      { route: "/tokens" },
    );
    expect(await screen.findByTestId("token-row-ci")).toHaveTextContent("Active");

    await userEvent.click(screen.getByRole("button", { name: "Create token" }));
    const dialog = await screen.findByRole("dialog", { name: "Create token" });
    await userEvent.click(within(dialog).getByLabelText("Name"));
    await userEvent.paste("laptop");
    await userEvent.clear(within(dialog).getByLabelText("Expires in (days)"));
    await userEvent.paste("30");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create token" }));

    const shown = await screen.findByRole("dialog", { name: "Your new API token" });
    expect(within(shown).getByTestId("new-token")).toHaveTextContent("mlops_t2secretsecretsecret");
    expect(within(shown).getByText(/it will not be shown again/)).toBeInTheDocument();
    expect(within(shown).getByRole("button", { name: "Copy token" })).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "laptop", expires_in_days: 30 });
    await userEvent.click(within(shown).getByRole("button", { name: "Done" }));
    expect(await screen.findByTestId("token-row-laptop")).toBeInTheDocument();
    expect(screen.queryByText("mlops_t2secretsecretsecret")).not.toBeInTheDocument();

    await userEvent.click(within(screen.getByTestId("token-row-ci")).getByRole("button", { name: "Revoke ci" }));
    const confirm = await screen.findByRole("dialog", { name: "Revoke “ci”?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Revoke token" }));
    expect(await screen.findByText("“ci” stopped working.")).toBeInTheDocument();
    expect(await within(screen.getByTestId("token-row-ci")).findByText("Revoked")).toBeInTheDocument();
  });
});

describe("AdminTokens", { timeout: 30_000 }, () => {
  it("shows the tokens of the user in the address", async () => {
    fakeGateway(
      {
        "GET /api/users": {
          body: {
            items: [{ id: "u-vera", username: "vera", role: "viewer", disabled: false, created_at: "2026-01-01T00:00:00Z", last_login_at: null }],
            total: 1,
            limit: 200,
            offset: 0,
          },
        },
        "GET /api/users/u-vera/tokens": { body: [token("t9", "notebook")] },
      },
      "admin",
    );
    renderWithProviders(
      <AuthProvider>
        <AdminTokens />
      </AuthProvider>,
      { route: "/admin/tokens?user=u-vera" },
    );
    expect(await screen.findByTestId("token-row-notebook")).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "User" })).toHaveValue("vera (Viewer)");
    expect(screen.getByRole("button", { name: "Revoke notebook" })).toBeInTheDocument();
  });
});
