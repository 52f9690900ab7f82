import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { Settings } from "./Settings";

const unset = { set: false, last4: null };
const view = { missing: [], updated_at: null, updated_by: null };

function settings(overrides: Record<string, object> = {}) {
  return {
    llm: {
      ...view,
      group: "llm",
      anthropic_api_key: unset,
      openai_api_key: { set: true, last4: "…abcd" },
      openai_compatible_base_url: null,
      openai_compatible_api_key: unset,
      default_provider: "openai",
      ...overrides.llm,
    },
    kubernetes: {
      ...view,
      group: "kubernetes",
      mode: null,
      kubeconfig: unset,
      kubeconfig_contexts: [],
      kubeconfig_current_context: null,
      api_server_url: null,
      ca_certificate: null,
      bearer_token: unset,
      default_namespace: "default",
      context: null,
    },
    container_registry: { ...view, group: "container_registry", url: null, username: null, password: unset },
    artifact_store: {
      ...view,
      group: "artifact_store",
      kind: "local",
      local_path: null,
      s3_endpoint_url: null,
      bucket: null,
      region: null,
      access_key_id: null,
      secret_access_key: unset,
      ...overrides.artifact_store,
    },
    data_sources: {
      ...view,
      group: "data_sources",
      s3_endpoint_url: null,
      s3_region: null,
      s3_access_key_id: null,
      s3_secret_access_key: unset,
      gcs_project: null,
      gcs_service_account_json: unset,
      database_url: unset,
    },
  };
}

function render() {
  return renderWithProviders(
    <AuthProvider>
      <Settings />
    </AuthProvider>,
    { route: "/settings" },
  );
}

describe("Settings", { timeout: 30_000 }, () => {
  it("shows a set secret by its last characters and sends only what changed", async () => {
    const all = settings();
    const { calls } = fakeGateway(
      {
        "GET /api/settings": { body: all },
        "PUT /api/settings/llm": { body: { ...all.llm, anthropic_api_key: { set: true, last4: "…WXYZ" } } },
      },
      "admin",
    );
    render();
    const llm = await screen.findByRole("region", { name: "LLM keys" });
    expect(within(llm).getByText(/Currently set, ends in …abcd/)).toBeInTheDocument();
    const save = within(llm).getByRole("button", { name: "Save LLM keys" });
    expect(save).toBeDisabled();

    await userEvent.click(within(llm).getByLabelText("Anthropic API key"));
    await userEvent.paste("sk-ant-0123456789WXYZ");
    await userEvent.click(save);
    expect(await within(llm).findByText(/Currently set, ends in …WXYZ/)).toBeInTheDocument();
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.path).toBe("/api/settings/llm");
    expect(put?.body).toEqual({ anthropic_api_key: "sk-ant-0123456789WXYZ" });
    expect(within(llm).getByLabelText("Anthropic API key")).toHaveValue("");
  });

  it("clears a secret with an explicit null", async () => {
    const all = settings();
    const { calls } = fakeGateway(
      {
        "GET /api/settings": { body: all },
        "PUT /api/settings/llm": { body: { ...all.llm, openai_api_key: unset } },
      },
      "admin",
    );
    render();
    const llm = await screen.findByRole("region", { name: "LLM keys" });
    await userEvent.click(within(llm).getByRole("button", { name: "Clear OpenAI API key" }));
    expect(within(llm).getByText("Will be cleared when you save.")).toBeInTheDocument();
    await userEvent.click(within(llm).getByRole("button", { name: "Save LLM keys" }));
    expect(await within(llm).findAllByText("Not set.")).toHaveLength(3);
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ openai_api_key: null });
  });

  it("puts the API's field error on the input", async () => {
    fakeGateway(
      {
        "GET /api/settings": { body: settings({ artifact_store: { kind: "s3" } }) },
        "PUT /api/settings/artifact_store": {
          status: 422,
          body: {
            title: "Invalid request",
            status: 422,
            detail: "bucket: must be an S3 bucket name",
            field: "bucket",
            errors: [{ field: "bucket", message: "must be an S3 bucket name" }],
          },
        },
      },
      "admin",
    );
    render();
    const store = await screen.findByRole("region", { name: "Artifact store" });
    const bucket = within(store).getByLabelText("Bucket");
    await userEvent.click(bucket);
    await userEvent.paste("Bad_Bucket");
    await userEvent.click(within(store).getByRole("button", { name: "Save artifact store" }));
    expect(await within(store).findByText("must be an S3 bucket name")).toBeInTheDocument();
    expect(bucket).toHaveAttribute("aria-invalid", "true");
  });

  it("shows viewers the settings read-only, secrets masked", async () => {
    fakeGateway({ "GET /api/settings": { body: settings() } }, "viewer");
    render();
    expect(await screen.findByText(/Only admins can change settings/)).toBeInTheDocument();
    const llm = await screen.findByRole("region", { name: "LLM keys" });
    expect(within(llm).getByLabelText("OpenAI API key")).toHaveValue("Set, ends in …abcd");
    expect(within(llm).getByLabelText("OpenAI API key")).toHaveAttribute("readonly");
    expect(screen.queryByRole("button", { name: /^Save/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Clear/ })).not.toBeInTheDocument();
  });
});
