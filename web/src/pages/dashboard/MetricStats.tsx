import { Box, SimpleGrid } from "@mantine/core";
import { Sparkline } from "@mantine/charts";
import { IconActivity, IconAlertTriangle, IconChartLine } from "@tabler/icons-react";

import { formatNumber, formatPercent } from "../../components/format";
import { useDeployments, useOpenDriftAlerts, useOverallMetrics, type Series } from "./queries";
import { StatCard } from "./StatCard";

type Point = Series["points"][number];

/** A sparkline with a sentence for people who cannot see it. */
function Trend({ values, color, summary }: { values: (number | null)[]; color: string; summary: string }) {
  return (
    <Box role="img" aria-label={summary} mt={4}>
      <Sparkline h={40} data={values} color={color} curveType="monotone" fillOpacity={0.35} strokeWidth={1.5} />
    </Box>
  );
}

function describeTrend(what: string, values: number[], format: (value: number) => string): string {
  if (values.length === 0) return `${what}: no data in the last 24 hours`;
  const peak = Math.max(...values);
  const last = values[values.length - 1] ?? 0;
  return `${what} per hour over the last 24 hours: peak ${format(peak)}, last hour ${format(last)}`;
}

/** A request rate in the unit that reads best: per second, per minute or per hour. */
export function describeRate(perSecond: number): string {
  if (perSecond >= 0.1 || perSecond === 0) return `${formatNumber(perSecond, 2)} per second on average`;
  if (perSecond * 60 >= 0.1) return `${formatNumber(perSecond * 60, 1)} per minute on average`;
  return `${formatNumber(perSecond * 3600, 1)} per hour on average`;
}

/** Requests, error rate and open drift alerts of every deployment over the last 24 hours. */
export function MetricStats() {
  const metrics = useOverallMetrics();
  const drift = useOpenDriftAlerts();
  const deployments = useDeployments();
  const serving = (deployments.data?.items ?? []).some((d) => d.status !== "deleted");
  const points: Point[] = metrics.data?.points ?? [];
  const totals = metrics.data?.totals;
  const requests = points.map((p) => p.requests);
  const errorRates = points.map((p) => p.error_rate);
  const driftScores = points.map((p) => p.drift_score);
  const openAlerts = totals?.open_alerts ?? 0;

  return (
    <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="md">
      <StatCard
        testId="stat-requests"
        label="Requests (24 h)"
        value={metrics.isError ? "—" : formatNumber(totals?.requests ?? 0)}
        loading={metrics.isPending}
        icon={<IconActivity size={18} aria-hidden />}
        color="blue"
        to="/deployments"
        hint={
          !serving && !deployments.isPending
            ? "No model is deployed yet"
            : totals
              ? describeRate(totals.request_rate)
              : undefined
        }
      >
        <Trend values={requests} color="blue" summary={describeTrend("Requests", requests, (v) => formatNumber(v))} />
      </StatCard>
      <StatCard
        testId="stat-error-rate"
        label="Error rate (24 h)"
        value={metrics.isError ? "—" : formatPercent(totals?.error_rate ?? 0)}
        loading={metrics.isPending}
        icon={<IconChartLine size={18} aria-hidden />}
        color={(totals?.error_rate ?? 0) > 0.05 ? "red" : "teal"}
        to="/deployments"
        hint={totals ? `${formatNumber(totals.errors)} failed requests` : undefined}
      >
        <Trend
          values={errorRates}
          color={(totals?.error_rate ?? 0) > 0.05 ? "red" : "teal"}
          summary={describeTrend("Error rate", errorRates, (v) => formatPercent(v))}
        />
      </StatCard>
      <StatCard
        testId="stat-alerts"
        label="Open drift alerts"
        value={drift.isError ? "—" : formatNumber(drift.data ?? 0)}
        loading={drift.isPending}
        icon={<IconAlertTriangle size={18} aria-hidden />}
        color={(drift.data ?? 0) > 0 ? "orange" : "gray"}
        to="/alerts"
        hint={
          (drift.data ?? 0) > 0
            ? "Inputs no longer look like the training data"
            : openAlerts > 0
              ? `No drift; ${formatNumber(openAlerts)} other alerts need a look`
              : "Inputs look like the training data"
        }
      >
        <Trend
          values={driftScores}
          color="orange"
          summary={describeTrend(
            "Highest drift score (PSI)",
            driftScores.filter((v): v is number => v !== null),
            (v) => formatNumber(v, 2),
          )}
        />
      </StatCard>
    </SimpleGrid>
  );
}
