import { describe, expect, it } from "vitest";

import { logLines, matchLines, toLogChunk } from "./log";
import { epochSummary, formatMetric, metricLabel, runSeconds, sortMetrics } from "./runFormat";

describe("run formatting", () => {
  it("names metrics for people", () => {
    expect(metricLabel("val_accuracy")).toBe("Validation accuracy");
    expect(metricLabel("test_f1")).toBe("Test F1");
    expect(formatMetric("test_accuracy", 0.9804)).toBe("98.0 %");
    expect(formatMetric("loss", 0.123456)).toBe("0.1235");
    expect(formatMetric("loss", undefined)).toBe("—");
  });

  it("puts test metrics first, accuracy before loss", () => {
    expect(sortMetrics(["loss", "val_loss", "test_loss", "accuracy", "test_accuracy", "test_f1"])).toEqual([
      "test_accuracy",
      "test_f1",
      "test_loss",
      "val_loss",
      "accuracy",
      "loss",
    ]);
  });

  it("counts a running run's time up to now", () => {
    const run = { status: "running" as const, start_time: "2026-01-01T10:00:00Z", end_time: null, duration_seconds: 3 };
    expect(runSeconds(run, Date.parse("2026-01-01T10:01:30Z"))).toBe(90);
    expect(runSeconds({ ...run, status: "succeeded", end_time: "2026-01-01T10:00:03Z" })).toBe(3);
  });

  it("sums up the chart in one sentence", () => {
    expect(epochSummary([], 3)).toBe("Epoch metrics chart: no epoch has finished yet.");
    expect(epochSummary([{ epoch: 1, metrics: { loss: 0.5, val_accuracy: 0.9 }, seconds: 1 }], 3)).toBe(
      "Epoch metrics chart: 1 of 3 epochs finished. Epoch 1: loss 0.5, validation accuracy 90.0 %.",
    );
  });
});

describe("log helpers", () => {
  it("reads the API's answer and splits it into lines", () => {
    const chunk = toLogChunk({ text: "a\nb\n", offset: 0, next_offset: 4, size: 4, complete: true });
    expect(chunk).toEqual({ text: "a\nb\n", offset: 0, next_offset: 4, size: 4, complete: true });
    expect(logLines(chunk.text)).toEqual(["a", "b"]);
    expect(toLogChunk(null)).toEqual({ text: "", offset: 0, next_offset: 0, size: 0, complete: false });
  });

  it("keeps the lines that contain the search, in any case", () => {
    const lines = ["INFO start", "ERROR disk", "info done"];
    expect(matchLines(lines, " info ").map((m) => m.index)).toEqual([0, 2]);
    expect(matchLines(lines, "")).toHaveLength(3);
  });
});
