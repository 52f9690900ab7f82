import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { AuthProvider } from "../../auth/AuthProvider";
import { fakeGateway } from "../../test/fakeGateway";
import { renderWithProviders } from "../../test/render";
import { DETAIL, SERIES } from "./fixtures";
import { DeploymentDetail } from "./DeploymentDetail";

const WAIT = { timeout: 5000 };
const PATH = "/api/deployments/dep1234567890";

// Charts make the first render slow in jsdom.
configure({ asyncUtilTimeout: 5000 });

function page() {
  return renderWithProviders(
    <AuthProvider>
      <Routes>
        <Route path="/deployments/:deploymentId" element={<DeploymentDetail />} />
        <Route path="/deployments" element={<p>the list</p>} />
      </Routes>
    </AuthProvider>,
    { route: "/deployments/dep1234567890" },
  );
}

const command = { command_id: "c1", correlation_id: "k1", type: "x", service: "infra", actor_id: "ada", status: "succeeded", created_at: "2026-01-01T10:00:00Z" };

describe("DeploymentDetail", { timeout: 20000 }, () => {
  it("shows health, numbers, replicas and history", async () => {
    fakeGateway({ [`GET ${PATH}`]: { body: DETAIL }, [`GET ${PATH}/metrics`]: { body: SERIES } });
    page();
    expect(await screen.findByRole("heading", { level: 1, name: "digits v2" }, WAIT)).toBeInTheDocument();
    expect(screen.getByText("2 of 2")).toBeInTheDocument();
    expect(screen.getByText("Follows production")).toBeInTheDocument();
    expect(screen.getByRole("cell", { name: "4242" })).toBeInTheDocument();
    expect(screen.getByText("Ready · version 2")).toBeInTheDocument();
    expect(await screen.findByRole("img", { name: /Requests per second over the last 1 h/ })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: /Latency over the last 1 h: median 4.5 ms/ })).toBeInTheDocument();
    expect(screen.getByRole("radiogroup", { name: "Time window" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Try it" })).toBeInTheDocument();
    expect(screen.getByLabelText("Drawing pad")).toBeInTheDocument();
    expect(screen.getByLabelText("Upload an image")).toBeInTheDocument();
  });

  it("says why a deployment is degraded", async () => {
    fakeGateway({
      [`GET ${PATH}`]: { body: { ...DETAIL, status: "degraded", replicas_ready: 1, reason: "replica r1 was killed by signal 9; restarting it" } },
      [`GET ${PATH}/metrics`]: { body: SERIES },
    });
    page();
    expect(await screen.findByText("This deployment is degraded", {}, WAIT)).toBeInTheDocument();
    expect(screen.getByText(/killed by signal 9/)).toBeInTheDocument();
  });

  it("hides the editor's actions from viewers", async () => {
    fakeGateway({ [`GET ${PATH}`]: { body: DETAIL }, [`GET ${PATH}/metrics`]: { body: SERIES } }, "viewer");
    page();
    await screen.findByRole("heading", { level: 1, name: "digits v2" }, WAIT);
    expect(screen.queryByRole("button", { name: "Scale" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete deployment" })).not.toBeInTheDocument();
  });

  it("scales after asking how many replicas", async () => {
    const { calls } = fakeGateway({
      [`GET ${PATH}`]: { body: DETAIL },
      [`GET ${PATH}/metrics`]: { body: SERIES },
      [`POST ${PATH}/scale`]: { body: command },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Scale" }, WAIT));
    const dialog = await screen.findByRole("dialog");
    const input = within(dialog).getByLabelText("Replicas");
    await userEvent.clear(input);
    await userEvent.type(input, "3");
    await userEvent.click(within(dialog).getByRole("button", { name: "Scale" }));
    await waitFor(() => expect(calls.find((c) => c.path === `${PATH}/scale`)?.body).toEqual({ replicas: 3 }));
  });

  it("rolls out a version chosen from the model's versions", async () => {
    const { calls } = fakeGateway({
      [`GET ${PATH}`]: { body: DETAIL },
      [`GET ${PATH}/metrics`]: { body: SERIES },
      "GET /api/mlops/models": {
        body: {
          models: [
            { model_id: "mv3", version: 3, status: "staging", model_name: "digits", model_type: "mnist_pytorch_cnn", job_id: "j3", metrics: {}, registered_at: "2026-01-02T00:00:00Z", registered_by: "ada", aliases: [], tags: {} },
            { model_id: "mv2", version: 2, status: "production", model_name: "digits", model_type: "mnist_pytorch_cnn", job_id: "j2", metrics: {}, registered_at: "2026-01-01T00:00:00Z", registered_by: "ada", aliases: [], tags: {} },
          ],
          total: 2,
          limit: 200,
          offset: 0,
        },
      },
      [`POST ${PATH}/rollout`]: { body: command },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Roll out" }, WAIT));
    const dialog = await screen.findByRole("dialog");
    await userEvent.click(within(dialog).getByRole("combobox", { name: "Version" }));
    // The dropdown's opening transition never ends in jsdom, so the option stays hidden there.
    fireEvent.click(await screen.findByRole("option", { name: "Version 3 · staging", hidden: true }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Roll out" }));
    await waitFor(() => expect(calls.find((c) => c.path === `${PATH}/rollout`)?.body).toEqual({ model_id: "mv3" }));
  });

  it("deletes only after confirmation", async () => {
    const { calls } = fakeGateway({
      [`GET ${PATH}`]: { body: DETAIL },
      [`GET ${PATH}/metrics`]: { body: SERIES },
      [`DELETE ${PATH}`]: { body: command },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Delete deployment" }, WAIT));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await userEvent.click(await screen.findByRole("button", { name: "Yes, delete" }));
    expect(await screen.findByText("the list")).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE" && c.path === PATH)).toBe(true);
  });

  it("predicts an uploaded image and shows the class, probabilities and time", async () => {
    const { calls } = fakeGateway({
      [`GET ${PATH}`]: { body: DETAIL },
      [`GET ${PATH}/metrics`]: { body: SERIES },
      [`POST ${PATH}/predict`]: {
        body: {
          model_name: "digits",
          model_version: "2",
          predictions: [{ class: "7", confidence: 0.97, probabilities: { "0": 0.01, "1": 0.02, "7": 0.97 } }],
        },
      },
    });
    page();
    const upload = await screen.findByLabelText("Upload an image", {}, WAIT);
    fireEvent.change(upload, { target: { files: [new File([new Uint8Array([137, 80, 78, 71])], "seven.png", { type: "image/png" })] } });
    await userEvent.click(screen.getByRole("button", { name: "Predict" }));
    expect(await screen.findByTestId("prediction-result")).toHaveTextContent("Prediction: 7");
    expect(screen.getByRole("img", { name: /Probability of each class: 0: 1 %, 1: 2 %, 7: 97 %/ })).toBeInTheDocument();
    expect(screen.getByText(/Answered in \d+ ms by version 2/)).toBeInTheDocument();
    const sent = calls.find((c) => c.path === `${PATH}/predict`)?.body as { image: string };
    expect(sent.image).toMatch(/^data:image\/png;base64,/);
  });

  it("shows the model's complaint when the input is wrong", async () => {
    fakeGateway({
      [`GET ${PATH}`]: { body: DETAIL },
      [`GET ${PATH}/metrics`]: { body: SERIES },
      [`POST ${PATH}/predict`]: { status: 400, body: { error: "image: not a PNG file" } },
    });
    page();
    const upload = await screen.findByLabelText("Upload an image", {}, WAIT);
    fireEvent.change(upload, { target: { files: [new File(["hello"], "fake.png", { type: "image/png" })] } });
    await userEvent.click(screen.getByRole("button", { name: "Predict" }));
    expect(await screen.findByText("The model could not predict")).toBeInTheDocument();
    expect(screen.getByText("image: not a PNG file")).toBeInTheDocument();
  });

  it("asks a table model for one value per feature column", async () => {
    const { calls } = fakeGateway({
      [`GET ${PATH}`]: { body: { ...DETAIL, model_name: "cancer", model_type: "tabular_sklearn_classifier" } },
      [`GET ${PATH}/metrics`]: { body: SERIES },
      [`GET ${PATH}/v2/models%2Fcancer`]: {
        body: {
          name: "cancer",
          inputs: [
            { name: "mean radius", datatype: "FP64", shape: [-1] },
            { name: "colour", datatype: "BYTES", shape: [-1] },
          ],
          outputs: [],
        },
      },
      [`POST ${PATH}/predict`]: {
        body: { model_name: "cancer", model_version: "2", predictions: [{ class: "1", confidence: 0.8, probabilities: { "0": 0.2, "1": 0.8 } }] },
      },
    });
    page();
    await userEvent.click(await screen.findByRole("button", { name: "Predict" }, WAIT));
    expect(await screen.findByText("Fill in every feature (2 empty).")).toHaveAttribute("role", "alert");
    await userEvent.type(screen.getByLabelText("mean radius"), "14.1");
    await userEvent.type(screen.getByLabelText("colour"), "red");
    await userEvent.click(screen.getByRole("button", { name: "Predict" }));
    expect(await screen.findByTestId("prediction-result")).toHaveTextContent("Prediction: 1");
    expect(calls.find((c) => c.path === `${PATH}/predict`)?.body).toEqual({ features: { "mean radius": 14.1, colour: "red" } });
  });
});
