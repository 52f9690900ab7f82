import { describe, expect, it } from "vitest";

import { describeEvent, isNoisy, mergeEvents, type ActivityEvent, type Names } from "./activity";

const names: Names = {
  modelTypes: { mnist_pytorch_cnn: "Handwritten digits (CNN)", tabular_sklearn_classifier: "Tabular classifier" },
  runs: { job2: { model_name: "digits", model_type: "mnist_pytorch_cnn" } },
};

let seq = 0;
function event(type: string, data: Record<string, unknown>, actor: string | null = "admin"): ActivityEvent {
  seq += 1;
  return {
    id: `e${seq}`,
    seq,
    subject: `evt.${type}`,
    type,
    source: "test",
    time: "2026-01-01T00:00:00Z",
    actor: actor ? { id: actor, role: "admin" } : null,
    data,
  };
}

describe("describeEvent", () => {
  it("names who started a run and the model type's title", () => {
    const queued = event("workflow.run.queued.v1", {
      job_id: "job1",
      model_type: "mnist_pytorch_cnn",
      model_name: "mnist_pytorch_cnn",
      position: 1,
    });
    expect(describeEvent(queued, names)).toMatchObject({
      sentence: "admin started a run of Handwritten digits (CNN)",
      link: { to: "/runs/job1" },
      tone: "run",
    });
  });

  it("names a finished run from the runs it knows", () => {
    const failed = event("workflow.run.failed.v1", { job_id: "job2", step: "train", code: "data_error", reason: "no such file" });
    expect(describeEvent(failed, names)).toMatchObject({ sentence: "The run of digits failed", detail: "no such file", tone: "failure" });
  });

  it("says which version moved to which stage", () => {
    const moved = event("registry.model_version.status_changed.v1", {
      model_id: "m3",
      model_name: "digits",
      version: 3,
      from_status: "staging",
      to_status: "production",
      action: "promote",
    });
    expect(describeEvent(moved, names)).toMatchObject({
      sentence: "Version 3 of digits moved to production",
      link: { to: "/models/digits" },
    });
  });

  it("says when a deployment is ready and when drift is detected", () => {
    const ready = event("infra.deployment.ready.v1", { deployment_id: "d1", model_name: "digits", model_version: 2 }, null);
    expect(describeEvent(ready, names)).toMatchObject({
      sentence: "Deployment of digits v2 is ready",
      link: { to: "/deployments/d1" },
    });
    const drift = event("infra.alert.raised.v1", { alert_id: "a1", alert_type: "drift_detected", model_name: "digits", message: "PSI 0.4" }, null);
    expect(describeEvent(drift, names)).toMatchObject({ sentence: "Drift detected on digits", link: { to: "/alerts" } });
  });

  it("says who changed which settings, never values", () => {
    const changed = event("gateway.settings.changed.v1", { group: "llm", fields: ["openai_api_key"] });
    expect(describeEvent(changed, names)).toMatchObject({
      sentence: "admin changed the LLM settings",
      detail: "Changed: openai api key",
    });
  });

  it("leaves the noisy events out", () => {
    for (const type of [
      "workflow.run.progressed.v1",
      "workflow.run.logged.v1",
      "workflow.run.epoch_completed.v1",
      "infra.metrics.collected.v1",
      "workflow.command.succeeded.v1",
      "registry.system.pinged.v1",
    ]) {
      expect(isNoisy(type)).toBe(true);
      expect(describeEvent(event(type, { job_id: "job1" }), names)).toBeNull();
    }
    expect(isNoisy("workflow.run.succeeded.v1")).toBe(false);
  });
});

describe("mergeEvents", () => {
  it("puts new events first, drops duplicates and keeps the limit", () => {
    const older = [event("infra.deployment.ready.v1", {}), event("infra.deployment.ready.v1", {})].reverse();
    const fresh = event("infra.alert.raised.v1", {});
    const merged = mergeEvents([fresh, older[0]!], older, 2);
    expect(merged.map((e) => e.id)).toEqual([fresh.id, older[0]!.id]);
  });
});
