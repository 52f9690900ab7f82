/** How runs read for people: metric names, values and order, durations, the chart's summary. */
import type { components } from "../../api/schema";
import { formatNumber, formatPercent } from "../../components/format";

type RunSummary = components["schemas"]["RunSummary"];
type Epoch = components["schemas"]["EpochView"];

const SHARES = /(accuracy|f1|precision|recall|auc)$/;

/** "val_accuracy" → "Validation accuracy", "test_f1" → "Test F1". */
export function metricLabel(name: string): string {
  const words = name
    .replace(/^val_/, "validation_")
    .split("_")
    .map((word) => (word === "f1" || word === "auc" ? word.toUpperCase() : word))
    .join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Shares (accuracy, F1, …) as percentages, everything else as a number. */
export function formatMetric(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return SHARES.test(name) && value >= 0 && value <= 1 ? formatPercent(value, 1) : formatNumber(value, 4);
}

function rank(name: string): number {
  if (name.startsWith("test_")) return 0;
  if (name.startsWith("val_")) return 1;
  return 2;
}

const BASE_ORDER = ["accuracy", "f1", "loss"];

/** Test metrics first, then validation, then training; accuracy before loss within each. */
export function sortMetrics(names: string[]): string[] {
  const base = (name: string) => name.replace(/^(test|val)_/, "");
  const order = (name: string) => {
    const index = BASE_ORDER.indexOf(base(name));
    return index === -1 ? BASE_ORDER.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || order(a) - order(b) || a.localeCompare(b));
}

/** Seconds a run took, or has been running for. */
export function runSeconds(run: Pick<RunSummary, "status" | "start_time" | "end_time" | "duration_seconds">, now = Date.now()): number | null {
  if (run.status === "running" && run.start_time && !run.end_time) {
    return Math.max(0, (now - new Date(run.start_time).getTime()) / 1000);
  }
  return run.duration_seconds;
}

/** One sentence a screen reader can say instead of the chart. */
export function epochSummary(epochs: Epoch[], total: number | null): string {
  const last = epochs[epochs.length - 1];
  if (!last) return "Epoch metrics chart: no epoch has finished yet.";
  const of = total ? ` of ${total}` : "";
  const values = sortMetrics(Object.keys(last.metrics))
    .reverse()
    .map((name) => `${metricLabel(name).toLowerCase()} ${formatMetric(name, last.metrics[name])}`)
    .join(", ");
  const count = total ?? epochs.length;
  return `Epoch metrics chart: ${epochs.length}${of} epoch${count === 1 ? "" : "s"} finished. Epoch ${last.epoch}: ${values}.`;
}
