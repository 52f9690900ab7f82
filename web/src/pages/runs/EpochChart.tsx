import { LineChart, type LineChartSeries } from "@mantine/charts";
import { Box, Button, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import type { components } from "../../api/schema";
import { formatDuration, formatNumber } from "../../components/format";
import { epochSummary, formatMetric, metricLabel, sortMetrics } from "./runFormat";

type Epoch = components["schemas"]["EpochView"];

const RECENT = 10;

const LOSS: LineChartSeries[] = [
  { name: "loss", label: "Training loss", color: "blue.6" },
  { name: "val_loss", label: "Validation loss", color: "orange.6", strokeDasharray: "6 4" },
];
const ACCURACY: LineChartSeries[] = [
  { name: "accuracy", label: "Training accuracy", color: "teal.6" },
  { name: "val_accuracy", label: "Validation accuracy", color: "grape.6", strokeDasharray: "6 4" },
];

interface ChartProps {
  title: string;
  data: Record<string, number>[];
  series: LineChartSeries[];
  percent?: boolean;
}

function Chart({ title, data, series, percent }: ChartProps) {
  const present = series.filter((s) => data.some((row) => typeof row[s.name] === "number"));
  if (present.length === 0) return null;
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      <LineChart
        h={220}
        data={data}
        dataKey="epoch"
        series={present}
        curveType="monotone"
        withLegend
        legendProps={{ verticalAlign: "bottom", height: 40 }}
        withDots
        connectNulls
        xAxisLabel="Epoch"
        valueFormatter={(value) => (percent ? `${(value * 100).toFixed(1)} %` : formatNumber(value, 4))}
        yAxisProps={{
          width: 48,
          tickFormatter: (value: number) => (percent ? `${Math.round(value * 100)}%` : Number(value.toPrecision(2)).toString()),
          domain: percent
            ? [(low: number) => Math.max(0, Math.ceil(low * 20) / 20 - 0.05), (high: number) => Math.min(1, Math.ceil(high * 20) / 20)]
            : [0, "auto"],
        }}
        tooltipAnimationDuration={0}
      />
    </Stack>
  );
}

/** Loss and accuracy per epoch, updated live as epochs finish. */
export function EpochChart({ epochs, total, ended = false }: { epochs: Epoch[]; total: number | null; ended?: boolean }) {
  const data = epochs.map((e) => ({ epoch: e.epoch, ...e.metrics }));
  return (
    <Box data-testid="epoch-chart" data-epochs={epochs.length} role="img" aria-label={epochSummary(epochs, total)}>
      {epochs.length === 0 ? (
        <Text size="sm" c="dimmed" py="lg" ta="center">
          {ended ? "No epoch finished in this run." : "The chart fills in as epochs finish."}
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
          <Chart title="Loss (lower is better)" data={data} series={LOSS} />
          <Chart title="Accuracy (higher is better)" data={data} series={ACCURACY} percent />
        </SimpleGrid>
      )}
    </Box>
  );
}

/** The same numbers as a table, newest epoch first. */
export function EpochTable({ epochs }: { epochs: Epoch[] }) {
  const [all, setAll] = useState(false);
  if (epochs.length === 0) return null;
  const names = sortMetrics([...new Set(epochs.flatMap((e) => Object.keys(e.metrics)))]).reverse();
  const shown = [...epochs].reverse().slice(0, all ? undefined : RECENT);
  return (
    <Stack gap="xs">
      <Title order={3} fz="md">
        Per epoch
      </Title>
      <Table.ScrollContainer minWidth={560} type="native" tabIndex={0} role="region" aria-label="Metrics per epoch">
        <Table striped verticalSpacing={6} fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Epoch</Table.Th>
              {names.map((name) => (
                <Table.Th key={name}>{metricLabel(name)}</Table.Th>
              ))}
              <Table.Th>Took</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((epoch) => (
              <Table.Tr key={epoch.epoch}>
                <Table.Td>{epoch.epoch}</Table.Td>
                {names.map((name) => (
                  <Table.Td key={name} ff="monospace">
                    {formatMetric(name, epoch.metrics[name])}
                  </Table.Td>
                ))}
                <Table.Td>{formatDuration(epoch.seconds)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {epochs.length > RECENT && (
        <Button variant="subtle" size="xs" onClick={() => setAll((v) => !v)} style={{ alignSelf: "flex-start" }}>
          {all ? `Show the last ${RECENT} epochs` : `Show all ${epochs.length} epochs`}
        </Button>
      )}
    </Stack>
  );
}
