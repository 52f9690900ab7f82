import { LineChart } from "@mantine/charts";
import { Box, Checkbox, ColorSwatch, Group, Stack, Text } from "@mantine/core";
import { useMemo, useState } from "react";

import { formatMetric, isShare, metricLabel, orderMetrics } from "./data";

export const SERIES_COLORS = ["blue.6", "teal.6", "grape.6", "orange.6", "red.6", "cyan.6", "lime.7", "indigo.5", "pink.6", "yellow.7"];

export interface HistoryPoint {
  version: number;
  metrics: Record<string, number>;
}

/** Read the registry's metric_history entries ({version, model_id, metrics, registered_at}) safely. */
export function toHistory(entries: Record<string, unknown>[]): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (const entry of entries) {
    const version = entry.version;
    const metrics = entry.metrics;
    if (typeof version !== "number" || typeof metrics !== "object" || metrics === null) continue;
    const numbers: Record<string, number> = {};
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value === "number" && Number.isFinite(value)) numbers[name] = value;
    }
    points.push({ version, metrics: numbers });
  }
  return points.sort((a, b) => a.version - b.version);
}

/** "Test accuracy: 91.9 % at v1, 96.5 % at v2, 94.2 % at v3." — the chart in words. */
export function describeHistory(points: HistoryPoint[], metrics: string[]): string {
  if (points.length === 0 || metrics.length === 0) return "No metrics to show.";
  const parts = metrics.map((metric) => {
    const values = points
      .filter((p) => p.metrics[metric] !== undefined)
      .map((p) => `${formatMetric(metric, p.metrics[metric])} at v${p.version}`);
    return `${metricLabel(metric)}: ${values.join(", ")}`;
  });
  return `Metrics across ${points.length} version${points.length === 1 ? "" : "s"}. ${parts.join(". ")}.`;
}

/** Final metrics of each version, one line per metric; the chips choose which metrics show. */
export function MetricHistoryChart({ history, primary }: { history: Record<string, unknown>[]; primary: string }) {
  const points = useMemo(() => toHistory(history), [history]);
  const all = useMemo(() => orderMetrics(points.flatMap((p) => Object.keys(p.metrics)), primary), [points, primary]);
  const defaults = all.filter(isShare).length ? all.filter(isShare) : all;
  const [chosen, setChosen] = useState<string[] | null>(null);
  const shown = (chosen ?? defaults).filter((m) => all.includes(m));

  if (points.length === 0 || all.length === 0) {
    return <Text size="sm" c="dimmed">The versions of this model have no metrics to chart.</Text>;
  }
  const shares = shown.length > 0 && shown.every(isShare);
  const data = points.map((p) => ({ version: `v${p.version}`, ...p.metrics }));
  const color = (metric: string) => SERIES_COLORS[all.indexOf(metric) % SERIES_COLORS.length] ?? "blue.6";

  return (
    <Stack gap="sm">
      <Checkbox.Group label="Metrics to show" value={shown} onChange={setChosen}>
        <Group gap="md" mt={6}>
          {all.map((metric) => (
            <Checkbox
              key={metric}
              value={metric}
              size="xs"
              label={
                <Group gap={6} wrap="nowrap" component="span">
                  <ColorSwatch component="span" color={`var(--mantine-color-${color(metric).replace(".", "-")})`} size={10} withShadow={false} aria-hidden />
                  {metricLabel(metric)}
                </Group>
              }
            />
          ))}
        </Group>
      </Checkbox.Group>
      {points.length === 1 && (
        <Text size="sm" c="dimmed">
          Only one version so far: each new training run of this model adds a point, so you can see whether it improves.
        </Text>
      )}
      <Box role="img" aria-label={describeHistory(points, shown)}>
        <LineChart
          h={260}
          data={data}
          dataKey="version"
          series={shown.map((metric) => ({ name: metric, label: metricLabel(metric), color: color(metric) }))}
          curveType="linear"
          valueFormatter={(value) => (shares ? `${(value * 100).toFixed(1)} %` : value.toLocaleString(undefined, { maximumFractionDigits: 3 }))}
          yAxisProps={{ domain: ["auto", "auto"], width: 70 }}
          xAxisLabel="Version"
          connectNulls
        />
      </Box>
    </Stack>
  );
}
