import { describe, expect, it } from "vitest";

import { actionLabel, flattenParams, formatMetric, keyMetrics, metricLabel, orderMetrics } from "./data";
import { describeHistory, toHistory } from "./MetricHistoryChart";

describe("registry helpers", () => {
  it("names and formats metrics for people", () => {
    expect(metricLabel("test_accuracy")).toBe("Test accuracy");
    expect(metricLabel("test_f1")).toBe("Test F1");
    expect(formatMetric("test_accuracy", 0.9651)).toBe("96.5 %");
    expect(formatMetric("val_loss", 0.123456)).toBe("0.1235");
    expect(formatMetric("val_loss", undefined)).toBe("—");
  });

  it("puts the primary metric first and keeps losses out of the key metrics", () => {
    expect(orderMetrics(["loss", "accuracy", "test_loss", "test_accuracy"])).toEqual(["test_accuracy", "test_loss", "accuracy", "loss"]);
    expect(keyMetrics({ loss: 0.1, test_loss: 0.2, test_accuracy: 0.9, test_f1: 0.8 })).toEqual([
      ["test_accuracy", 0.9],
      ["test_f1", 0.8],
    ]);
  });

  it("flattens nested parameters into dotted names", () => {
    expect(flattenParams({ epochs: 5, params: { estimator: "rf", columns: ["a"] }, limits: { cpu: "1" } })).toEqual({
      epochs: 5,
      "params.estimator": "rf",
      "params.columns": ["a"],
      "limits.cpu": "1",
    });
  });

  it("describes the metric history chart in words", () => {
    const points = toHistory([
      { version: 2, metrics: { test_accuracy: 0.95 } },
      { version: 1, metrics: { test_accuracy: 0.9, note: "x" } },
      { nonsense: true },
    ]);
    expect(points.map((p) => p.version)).toEqual([1, 2]);
    expect(describeHistory(points, ["test_accuracy"])).toBe("Metrics across 2 versions. Test accuracy: 90.0 % at v1, 95.0 % at v2.");
  });

  it("says what each timeline entry did", () => {
    const base = { model_id: "m", version: 3, from_status: "production" as const, to_status: "archived" as const, actor: "ada", note: null, at: "" };
    expect(actionLabel({ ...base, action: "rollback" })).toBe("Version 3 archived by a rollback");
    expect(actionLabel({ ...base, action: "rollback", to_status: "production" })).toBe("Rolled back to version 3");
    expect(actionLabel({ ...base, action: "replaced" })).toBe("Version 3 left production");
  });
});
