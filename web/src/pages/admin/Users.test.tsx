import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway, type Call } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { Users } from "./Users";

const user = (id: string, username: string, role: string, extra: object = {}) => ({
  id,
  username,
  role,
  disabled: false,
  created_at: "2026-01-01T00:00:00Z",
  last_login_at: null,
  ...extra,
});

function render() {
  return renderWithProviders(
    <AuthProvider>
      <Users />
    </AuthProvider>,
    { route: "/admin/users" },
  );
}

function listing(users: object[]) {
  return { body: { items: users, total: users.length, limit: 50, offset: 0 } };
}

/** The signed-in admin is one of the users listed: the page marks that row "you". */
const SIGNED_IN = {
  "GET /api/auth/me": { body: { user_id: "u-admin", username: "admin", role: "admin", via: "session", csrf_token: "csrf" } },
};

describe("Users", { timeout: 30_000 }, () => {
  it("lists users with role, status and sign-in", async () => {
    fakeGateway({
      ...SIGNED_IN,
      "GET /api/users": listing([
        user("u-admin", "admin", "admin", { last_login_at: new Date().toISOString() }),
        user("u-vera", "vera", "viewer", { disabled: true }),
      ]),
    });
    render();
    const vera = await screen.findByTestId("user-row-vera");
    expect(within(vera).getByText("Disabled")).toBeInTheDocument();
    expect(within(vera).getByText("Never")).toBeInTheDocument();
    expect(within(vera).getByRole("combobox", { name: "Role of vera" })).toHaveValue("Viewer");
    const admin = screen.getByTestId("user-row-admin");
    expect(within(admin).getByText("you")).toBeInTheDocument();
    expect(within(admin).getByRole("combobox", { name: "Role of admin" })).toBeDisabled();
  });

  it("adds a user and shows the API's refusal on the right field", async () => {
    const users = [user("u-admin", "admin", "admin")];
    const { calls } = fakeGateway({
      ...SIGNED_IN,
      "GET /api/users": () => listing(users),
      "POST /api/users": (call: Call) => {
        const body = call.body as { username: string; role: string };
        if (body.username === "admin") {
          return { status: 409, body: { title: "Conflict", status: 409, detail: "a user named 'admin' exists", field: "username" } };
        }
        const created = user("u-new", body.username, body.role);
        users.push(created);
        return { status: 201, body: created };
      },
    });
    render();
    await userEvent.click(await screen.findByRole("button", { name: "Add user" }));
    const dialog = await screen.findByRole("dialog", { name: "Add user" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(within(dialog).getByText("The password needs at least 8 characters.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);

    await userEvent.click(within(dialog).getByLabelText("Username"));
    await userEvent.paste("admin");
    await userEvent.click(within(dialog).getByLabelText("Password"));
    await userEvent.paste("a-long-password");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await within(dialog).findByText("a user named 'admin' exists")).toBeInTheDocument();

    await userEvent.clear(within(dialog).getByLabelText("Username"));
    await userEvent.paste("eddie");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await screen.findByTestId("user-row-eddie")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").at(-1)?.body).toEqual({
      username: "eddie",
      password: "a-long-password",
      role: "viewer",
    });
  });

  it("deletes a user only after confirming", async () => {
    let users = [user("u-admin", "admin", "admin"), user("u-vera", "vera", "viewer")];
    const { calls } = fakeGateway({
      ...SIGNED_IN,
      "GET /api/users": () => listing(users),
      "DELETE /api/users/u-vera": () => {
        users = users.filter((u) => u.id !== "u-vera");
        return { status: 204 };
      },
    });
    render();
    await userEvent.click(await screen.findByRole("button", { name: "Actions for vera" }));
    await userEvent.click(await screen.findByRole("menuitem", { name: "Delete user" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete vera?" });
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete user" }));
    expect(await screen.findByText("vera was deleted.")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/api/users/u-vera")).toBe(true);
  });

  it("changes a role after confirming", async () => {
    const users = [user("u-admin", "admin", "admin"), user("u-vera", "vera", "viewer")];
    const { calls } = fakeGateway({
      ...SIGNED_IN,
      "GET /api/users": () => listing(users),
      "PATCH /api/users/u-vera": (call: Call) => ({ body: { ...users[1], ...(call.body as object) } }),
    });
    render();
    await userEvent.click(await screen.findByRole("combobox", { name: "Role of vera" }));
    const options = await screen.findByRole("listbox", { name: "Role of vera", hidden: true });
    await userEvent.click(within(options).getByRole("option", { name: "Editor", hidden: true }));
    const dialog = await screen.findByRole("dialog", { name: "Make vera an editor?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Change role" }));
    expect(await screen.findByText(/vera is now an editor/)).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ role: "editor" });
  });
});
