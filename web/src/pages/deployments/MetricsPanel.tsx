import { AreaChart, LineChart } from "@mantine/charts";
import { Box, Group, Paper, SegmentedControl, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useState, type ReactNode } from "react";

import { keys } from "../../api/keys";
import { formatNumber, formatPercent } from "../../components/format";
import { QueryState } from "../../components/Page";
import { fetchMetrics, WINDOWS, type MetricsPoint, type Series, type TimeWindow } from "./api";
import { Stat } from "../../components/Facts";

/** PSI at or above this is drift (MLOPS_PSI_THRESHOLD's default). */
const PSI_THRESHOLD = 0.25;

const DEFAULT_WINDOW: TimeWindow = { value: "1h", label: "1 h", window: 3600, step: 60 };

const DRIFT_COLORS = { ok: undefined, drift: "orange.8", unknown: "dimmed" } as const;

/** Requests per second for axes and tooltips: small rates keep two significant digits. */
function rate(value: number): string {
  if (value === 0) return "0";
  return value < 1 ? String(Number(value.toPrecision(2))) : formatNumber(value, 1);
}

function timeLabel(at: string, window: number): string {
  const options: Intl.DateTimeFormatOptions =
    window <= 900 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
  return new Date(at).toLocaleTimeString([], options);
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${formatNumber(value, value < 10 ? 1 : 0)} ms`;
}

function latest(points: MetricsPoint[], pick: (p: MetricsPoint) => number | null | undefined): number | null {
  for (let i = points.length - 1; i >= 0; i -= 1) {
    const point = points[i];
    const value = point ? pick(point) : null;
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

function peak(points: MetricsPoint[], pick: (p: MetricsPoint) => number | null | undefined): number | null {
  const values = points.map(pick).filter((v): v is number => v !== null && v !== undefined);
  return values.length ? Math.max(...values) : null;
}


function ChartCard({ title, summary, children }: { title: string; summary: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} fz="md" mb="sm">
        {title}
      </Title>
      <Box role="img" aria-label={summary}>
        {children}
      </Box>
    </Paper>
  );
}

function Stats({ series }: { series: Series }) {
  const { totals, points } = series;
  const drift = latest(points, (p) => p.drift_score);
  const driftWord = { ok: "None", drift: "Drifting", unknown: "Not yet" }[totals.drift_status];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="sm">
      <Stat label="Requests" value={formatNumber(totals.requests)} hint={`${rate(totals.request_rate)} per second`} />
      <Stat label="Error rate" value={formatPercent(totals.error_rate)} hint={`${formatNumber(totals.errors)} failed`} />
      <Stat label="Latency p50" value={ms(totals.latency_p50_ms)} hint="half the requests are faster" />
      <Stat label="Latency p99" value={ms(totals.latency_p99_ms)} hint="99 % are faster" />
      <Stat
        label="Drift"
        value={driftWord}
        color={DRIFT_COLORS[totals.drift_status]}
        hint={drift !== null ? `highest PSI ${formatNumber(drift, 2)}` : "needs 500 inputs to judge"}
      />
    </SimpleGrid>
  );
}

function Charts({ series, label }: { series: Series; label: string }) {
  const points = series.points;
  const data = points.map((p) => ({
    time: timeLabel(p.at, series.window_seconds),
    requests: p.request_rate,
    p50: p.latency_p50_ms,
    p99: p.latency_p99_ms,
    errors: Math.round(p.error_rate * 10000) / 100,
    drift: p.drift_score,
  }));
  const still = { isAnimationActive: false };
  const quiet = series.totals.requests === 0;
  const driftPeak = peak(points, (p) => p.drift_score);
  // A lone measured step draws no line; show dots until there are a few.
  const sparse = (pick: (p: MetricsPoint) => number | null) => points.filter((p) => pick(p) !== null).length < 5;
  return (
    <Stack gap="sm">
      {quiet && (
        <Text size="sm" c="dimmed">
          No requests in the last {label}. Send some from Try it below, or through the endpoint, and the charts fill in
          as they are collected.
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
        <ChartCard
          title="Request rate"
          summary={`Requests per second over the last ${label}: ${formatNumber(series.totals.request_rate, 2)} on average, peak ${formatNumber(peak(points, (p) => p.request_rate) ?? 0, 2)}.`}
        >
          <AreaChart
            h={200}
            data={data}
            dataKey="time"
            series={[{ name: "requests", label: "Requests/s", color: "blue.6" }]}
            curveType="monotone"
            withDots={false}
            areaProps={still}
            valueFormatter={rate}
          />
        </ChartCard>
        <ChartCard
          title="Latency"
          summary={`Latency over the last ${label}: median ${ms(series.totals.latency_p50_ms)}, 99th percentile ${ms(series.totals.latency_p99_ms)}.`}
        >
          <LineChart
            h={200}
            data={data}
            dataKey="time"
            series={[
              { name: "p50", label: "p50", color: "teal.6" },
              { name: "p99", label: "p99", color: "grape.6" },
            ]}
            curveType="monotone"
            withDots={sparse((p) => p.latency_p50_ms)}
            withLegend
            connectNulls
            unit=" ms"
            lineProps={still}
            valueFormatter={(v) => formatNumber(v, 1)}
          />
        </ChartCard>
        <ChartCard
          title="Error rate"
          summary={`Failed requests over the last ${label}: ${formatPercent(series.totals.error_rate)} (${formatNumber(series.totals.errors)} of ${formatNumber(series.totals.requests)}).`}
        >
          <AreaChart
            h={200}
            data={data}
            dataKey="time"
            series={[{ name: "errors", label: "Errors", color: "red.6" }]}
            curveType="monotone"
            withDots={false}
            unit=" %"
            areaProps={still}
            valueFormatter={(v) => formatNumber(v, 2)}
          />
        </ChartCard>
        <ChartCard
          title="Drift score"
          summary={
            driftPeak === null
              ? `No drift score yet in the last ${label}: the replicas need at least 500 inputs to judge.`
              : `Highest feature PSI per step over the last ${label}: peak ${formatNumber(driftPeak, 2)}; ${PSI_THRESHOLD} or more is drift.`
          }
        >
          <LineChart
            h={200}
            data={data}
            dataKey="time"
            series={[{ name: "drift", label: "Highest PSI", color: "orange.6" }]}
            curveType="monotone"
            withDots={sparse((p) => p.drift_score)}
            connectNulls
            lineProps={still}
            referenceLines={[{ y: PSI_THRESHOLD, label: "Drift threshold", color: "red.6" }]}
            valueFormatter={(v) => formatNumber(v, 3)}
          />
        </ChartCard>
      </SimpleGrid>
    </Stack>
  );
}

/** Traffic and health of one deployment over a chosen time window; refreshed by live events. */
export function MetricsPanel({ deploymentId }: { deploymentId: string }) {
  const [choice, setChoice] = useState(DEFAULT_WINDOW.value);
  const labelId = useId();
  const range = WINDOWS.find((w) => w.value === choice) ?? DEFAULT_WINDOW;
  const query = useQuery({
    queryKey: keys.metrics({ deployment: deploymentId, window: range.window, step: range.step }),
    queryFn: () => fetchMetrics(deploymentId, range.window, range.step),
    placeholderData: keepPreviousData,
  });

  return (
    <Stack gap="md" component="section" aria-labelledby={`${labelId}-title`}>
      <Group justify="space-between" align="flex-end" gap="sm">
        <Title order={2} fz="h3" id={`${labelId}-title`}>
          Traffic and health
        </Title>
        <Stack gap={4}>
          <Text size="sm" fw={500} id={labelId}>
            Time window
          </Text>
          <SegmentedControl
            aria-labelledby={labelId}
            value={choice}
            onChange={setChoice}
            data={WINDOWS.map((w) => ({ value: w.value, label: w.label }))}
            size="xs"
          />
        </Stack>
      </Group>
      <QueryState query={query} label="metrics">
        {() =>
          query.data && (
            <Stack gap="md">
              <Stats series={query.data} />
              <Charts series={query.data} label={range.label} />
            </Stack>
          )
        }
      </QueryState>
    </Stack>
  );
}
