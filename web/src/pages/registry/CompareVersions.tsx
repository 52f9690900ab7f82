import { BarChart } from "@mantine/charts";
import { Alert, Anchor, Box, Button, Card, Group, SimpleGrid, Stack, Switch, Table, Text, Title, VisuallyHidden } from "@mantine/core";
import { IconAlertTriangle, IconArrowsDiff, IconCircleCheck, IconTag, IconTrophy } from "@tabler/icons-react";
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError, describe } from "../../api/problem";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, formatNumber, shortId } from "../../components/format";
import {
  type Comparison,
  flattenParams,
  formatMetric,
  formatParam,
  isShare,
  metricLabel,
  orderMetrics,
  useComparison,
  type VersionDetail,
  type VersionView,
} from "./data";
import { SERIES_COLORS } from "./MetricHistoryChart";
import { Tag } from "./Tag";

function label(version: VersionView, many: boolean): string {
  return many ? `${version.model_name} v${version.version}` : `v${version.version}`;
}

/** Index of the best value: highest, or lowest for losses and errors. */
export function bestIndex(metric: string, values: (number | null)[]): number | null {
  const lower = /(loss|error|mae|mse|rmse)$/i.test(metric);
  let best: number | null = null;
  values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) return;
    const current = best === null ? null : values[best];
    if (current === null || current === undefined || (lower ? value < current : value > current)) best = index;
  });
  const bestValue = best === null ? null : values[best];
  // No "best" when every version has the same value.
  if (bestValue !== null && values.every((v) => v === bestValue)) return null;
  return best;
}

function DatasetText({ detail }: { detail: VersionDetail | undefined }) {
  if (!detail) return <Text size="sm" c="dimmed">Loading…</Text>;
  const data = detail.dataset;
  const path = typeof data.path === "string" ? data.path.split("/").slice(-2).join("/") : null;
  const rows = typeof data.rows === "number" ? data.rows : null;
  const sha = typeof data.sha256 === "string" ? data.sha256 : null;
  if (!path && !sha) return <Text size="sm" c="dimmed">Not recorded</Text>;
  return (
    <Stack gap={0}>
      {path && <Text size="sm" style={{ wordBreak: "break-all" }}>{path}</Text>}
      <Text size="xs" c="dimmed">
        {[typeof data.source === "string" ? data.source : null, rows !== null ? `${formatNumber(rows)} rows` : null, sha ? `fingerprint ${sha.slice(0, 10)}` : null]
          .filter(Boolean)
          .join(" · ")}
      </Text>
    </Stack>
  );
}

function VersionCards({ comparison, details, many }: { comparison: Comparison; details: (VersionDetail | undefined)[]; many: boolean }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: Math.min(4, comparison.versions.length) }}>
      {comparison.versions.map((version, index) => (
        <Card withBorder key={version.model_id} padding="md">
          <Stack gap={6}>
            <Group justify="space-between" gap="xs">
              <Title order={3} fz="md">
                {version.model_name} version {version.version}
              </Title>
              <StatusBadge status={version.status} />
            </Group>
            {version.aliases.length > 0 && (
              <Group gap={4}>
                {version.aliases.map((alias) => (
                  <Tag key={alias} icon={<IconTag size={12} aria-hidden />}>{alias}</Tag>
                ))}
              </Group>
            )}
            <Text size="xs" c="dimmed">Registered {formatDate(version.registered_at)} by {version.registered_by}</Text>
            <Text size="xs" fw={600} mt={4}>Dataset</Text>
            <DatasetText detail={details[index]} />
            <Group gap="md" mt={4}>
              <Anchor component={Link} to={`/models/${encodeURIComponent(version.model_name)}`} size="sm">
                {many ? `Model ${version.model_name}` : "Model page"}
              </Anchor>
              {version.job_id && (
                <Anchor component={Link} to={`/runs/${version.job_id}`} size="sm" aria-label={`Run ${shortId(version.job_id)} that trained ${label(version, true)}`}>
                  Run {shortId(version.job_id)}
                </Anchor>
              )}
            </Group>
          </Stack>
        </Card>
      ))}
    </SimpleGrid>
  );
}

function MetricsSection({ comparison, many }: { comparison: Comparison; many: boolean }) {
  const names = orderMetrics(Object.keys(comparison.metrics));
  const headers = comparison.versions.map((v) => label(v, many));
  if (names.length === 0) return <Text size="sm" c="dimmed">These versions have no metrics.</Text>;
  const shares = names.filter(isShare);
  const charted = shares.length ? shares : names;
  const chartData = charted.map((metric) => {
    const row: Record<string, string | number> = { metric: metricLabel(metric) };
    (comparison.metrics[metric] ?? []).forEach((value, index) => {
      if (value !== null) row[headers[index] ?? `#${index}`] = value;
    });
    return row;
  });
  const summary = charted
    .map((metric) => `${metricLabel(metric)}: ${(comparison.metrics[metric] ?? []).map((value, i) => `${headers[i]} ${formatMetric(metric, value)}`).join(", ")}`)
    .join(". ");
  const chartShares = charted.every(isShare);

  return (
    <Stack gap="md">
      <Card withBorder padding={0}>
        <Table.ScrollContainer minWidth={200 + 140 * headers.length}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Metric</Table.Th>
                {headers.map((header) => (
                  <Table.Th key={header}>{header}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {names.map((metric) => {
                const values = comparison.metrics[metric] ?? [];
                const best = bestIndex(metric, values);
                return (
                  <Table.Tr key={metric}>
                    <Table.Th scope="row" fw={500}>{metricLabel(metric)}</Table.Th>
                    {headers.map((header, index) => (
                      <Table.Td key={header}>
                        <Group gap={6} wrap="nowrap">
                          <Text size="sm" fw={best === index ? 700 : 400}>{formatMetric(metric, values[index])}</Text>
                          {best === index && <Tag size="xs" icon={<IconTrophy size={11} color="var(--mantine-color-yellow-6)" aria-hidden />}>best</Tag>}
                        </Group>
                      </Table.Td>
                    ))}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <Card withBorder padding="md">
        <Title order={3} fz="md" mb="sm">
          {shares.length ? "Quality metrics side by side" : "Metrics side by side"}
        </Title>
        <Box role="img" aria-label={`Bar chart. ${summary}.`}>
          <BarChart
            h={280}
            data={chartData}
            dataKey="metric"
            series={headers.map((header, index) => ({ name: header, color: SERIES_COLORS[index % SERIES_COLORS.length] ?? "blue.6" }))}
            withLegend
            legendProps={{ verticalAlign: "bottom" }}
            valueFormatter={(value) => (chartShares ? `${(value * 100).toFixed(1)} %` : value.toLocaleString(undefined, { maximumFractionDigits: 3 }))}
            yAxisProps={chartShares ? { domain: [0, 1], width: 70 } : { width: 70 }}
          />
        </Box>
      </Card>
    </Stack>
  );
}

function ParamsSection({ comparison, details, many }: { comparison: Comparison; details: (VersionDetail | undefined)[]; many: boolean }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const headers = comparison.versions.map((v) => label(v, many));
  const flat = details.map((d) => (d ? flattenParams(d.params) : undefined));
  const loaded = flat.every(Boolean);
  const differing = new Set(Object.keys(comparison.params));
  const names = loaded
    ? [...new Set(flat.flatMap((p) => Object.keys(p ?? {})))].sort((a, b) => Number(differing.has(b)) - Number(differing.has(a)) || a.localeCompare(b))
    : Object.keys(comparison.params).sort();
  const differs = (name: string) =>
    differing.has(name) || (loaded && new Set(flat.map((p) => JSON.stringify(p?.[name] ?? null))).size > 1);
  const rows = names.filter((name) => !onlyDiff || differs(name));
  const count = names.filter(differs).length;
  const value = (name: string, index: number) =>
    loaded ? formatParam(flat[index]?.[name]) : formatParam(comparison.params[name]?.[index]);

  return (
    <Stack gap="sm">
      <Group justify="space-between" gap="sm">
        <Text size="sm">
          {count === 0 ? "Every parameter is the same." : `${count} parameter${count === 1 ? "" : "s"} differ${count === 1 ? "s" : ""}; they are marked and listed first.`}
        </Text>
        <Switch label="Only differences" checked={onlyDiff} onChange={(event) => setOnlyDiff(event.currentTarget.checked)} />
      </Group>
      <Card withBorder padding={0}>
        <Table.ScrollContainer minWidth={260 + 140 * headers.length}>
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Parameter</Table.Th>
                {headers.map((header) => (
                  <Table.Th key={header}>{header}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((name) => {
                const diff = differs(name);
                return (
                  <Table.Tr key={name} bg={diff ? "var(--mantine-color-yellow-light)" : undefined}>
                    <Table.Th scope="row" fw={diff ? 700 : 400}>
                      <Group gap={6}>
                        <Text size="sm" fw={diff ? 700 : 400}>{name}</Text>
                        {diff && <Tag size="xs" icon={<IconArrowsDiff size={11} color="var(--mantine-color-orange-6)" aria-hidden />}>differs</Tag>}
                      </Group>
                    </Table.Th>
                    {headers.map((header, index) => (
                      <Table.Td key={header} style={{ wordBreak: "break-word" }}>
                        <Text size="sm" ff="monospace">{value(name, index)}</Text>
                      </Table.Td>
                    ))}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
    </Stack>
  );
}

function Comparing({ ids }: { ids: string[] }) {
  const comparison = useComparison(ids);
  const details = useQueries({
    queries: ids.map((id) => ({
      queryKey: keys.version(id),
      queryFn: () => unwrap(api.GET("/api/model-versions/{model_id}", { params: { path: { model_id: id } } })),
    })),
  });
  if (comparison.error instanceof ApiError && [404, 422].includes(comparison.error.status)) {
    return (
      <>
        <PageHeader title="Compare versions" />
        <VisuallyHidden component="h2">What to do</VisuallyHidden>
        <Empty
          icon={<IconArrowsDiff size={36} stroke={1.5} aria-hidden />}
          title="These versions cannot be compared"
          action={<Button component={Link} to="/models" variant="light">Open the model registry</Button>}
        >
          {describe(comparison.error)}. The link may be old or mistyped: open a model and pick its versions again.
        </Empty>
      </>
    );
  }
  const data = comparison.data;
  const names = data ? [...new Set(data.versions.map((v) => v.model_name))] : [];
  const back = names.length === 1 ? `/models/${encodeURIComponent(names[0] ?? "")}` : "/models";
  return (
    <>
      <Anchor component={Link} to={back} size="sm" mb="xs" display="inline-block">
        ← {names.length === 1 ? names[0] : "Model registry"}
      </Anchor>
      <PageHeader
        title="Compare versions"
        description={
          data
            ? `${data.versions.map((v) => label(v, true)).join(", ")}: metrics, parameters and data side by side.`
            : "Metrics, parameters and data side by side."
        }
      />
      <QueryState query={comparison} label="the comparison">
        {() => {
          if (!data) return null;
          const many = names.length > 1;
          const byId = new Map(details.map((d) => [d.data?.model_id, d.data]));
          const versionDetails = data.versions.map((v) => byId.get(v.model_id));
          return (
            <Stack gap="xl">
              <section aria-labelledby="compare-versions">
                <Title order={2} fz="h3" mb="sm" id="compare-versions">Versions</Title>
                {data.same_dataset ? (
                  <Alert role="note" color="green" variant="light" icon={<IconCircleCheck size={18} aria-hidden />} mb="md">
                    Same data: every version was trained on the same dataset, so metric differences come from the parameters.
                  </Alert>
                ) : (
                  <Alert role="note" color="yellow" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />} mb="md">
                    Different data: these versions were trained on different datasets, so their metrics are not measured on the same examples.
                  </Alert>
                )}
                <VersionCards comparison={data} details={versionDetails} many={many} />
              </section>
              <section aria-labelledby="compare-metrics">
                <Title order={2} fz="h3" mb="sm" id="compare-metrics">Metrics</Title>
                <MetricsSection comparison={data} many={many} />
              </section>
              <section aria-labelledby="compare-params">
                <Title order={2} fz="h3" mb="sm" id="compare-params">Parameters</Title>
                <ParamsSection comparison={data} details={versionDetails} many={many} />
              </section>
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}

/** Two to ten versions side by side: metrics (table and chart), parameters, data and runs. */
export function CompareVersions() {
  const [params] = useSearchParams();
  const ids = [...new Set((params.get("ids") ?? "").split(",").map((id) => id.trim()).filter(Boolean))];
  if (ids.length < 2 || ids.length > 10) {
    return (
      <>
        <PageHeader title="Compare versions" />
        <VisuallyHidden component="h2">What to do</VisuallyHidden>
        <Empty
          icon={<IconArrowsDiff size={36} stroke={1.5} aria-hidden />}
          title={ids.length > 10 ? "Too many versions" : "Pick the versions to compare"}
          action={<Button component={Link} to="/models" variant="light">Open the model registry</Button>}
        >
          {ids.length > 10
            ? "Compare at most ten versions at a time."
            : "Open a model, tick two or more of its versions in the Versions table, then choose Compare."}
        </Empty>
      </>
    );
  }
  return <Comparing ids={ids} />;
}
