import { BarChart } from "@mantine/charts";
import { Anchor, Badge, Box, Code, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { Link } from "react-router";

import { formatDate, formatNumber, formatPercent, shortId } from "../../components/format";
import { StatusBadge } from "../../components/StatusBadge";
import { detailNumber, sentence, detailText, featureScores, thresholds, type AlertView } from "./alertText";
import { Fact } from "../../components/Facts";


function DriftDetails({ details }: { details: Record<string, unknown> }) {
  const scores = featureScores(details);
  const limits = thresholds(details);
  const psiLimit = limits.psi ?? 0.25;
  const average = detailNumber(details, "avg_confidence");
  const reference = detailNumber(details, "reference_confidence");
  const drop = detailNumber(details, "confidence_drop");
  const window = detailNumber(details, "window");
  const chartData = scores.filter((s) => s.psi !== null).map((s) => ({ feature: s.feature, psi: s.psi }));
  const drifted = scores.filter((s) => s.drifted).map((s) => s.feature);
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <Fact label="Average confidence">
          {formatPercent(average)}
          {reference !== null && (
            <Text span size="sm" c="dimmed">
              {" "}
              (training: {formatPercent(reference)})
            </Text>
          )}
        </Fact>
        <Fact label="Confidence drop">
          {drop === null ? "—" : `${formatNumber(drop * 100, 1)} points`}
          {limits.confidence_drop !== undefined && (
            <Text span size="sm" c="dimmed">
              {" "}
              (alert at {formatNumber(limits.confidence_drop * 100, 1)})
            </Text>
          )}
        </Fact>
        <Fact label="Inputs compared">{window === null ? "—" : formatNumber(window)}</Fact>
        <Fact label="PSI threshold">{formatNumber(psiLimit, 2)}</Fact>
      </SimpleGrid>
      <Text size="sm">
        {drifted.length > 0
          ? `Drifted: ${drifted.join(", ")}. PSI (population stability index) of ${formatNumber(psiLimit, 2)} or more means the inputs no longer look like the training data; KS is the largest gap between the two distributions.`
          : "No single feature passed the PSI threshold: the drop in the model's confidence raised this alert."}
      </Text>
      {chartData.length > 0 && (
        <Box
          role="img"
          aria-label={`PSI per feature: ${chartData.map((d) => `${d.feature} ${formatNumber(d.psi, 2)}`).join(", ")}; threshold ${formatNumber(psiLimit, 2)}.`}
        >
          <BarChart
            h={Math.max(160, chartData.length * 36)}
            data={chartData}
            dataKey="feature"
            orientation="vertical"
            series={[{ name: "psi", label: "PSI", color: "orange.6" }]}
            referenceLines={[{ x: psiLimit, label: "Threshold", color: "red.6" }]}
            yAxisProps={{ width: 110 }}
            valueFormatter={(v) => formatNumber(v, 3)}
          />
        </Box>
      )}
      {scores.length > 0 && (
        <Table.ScrollContainer minWidth={360}>
          <Table verticalSpacing={4} striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Feature</Table.Th>
                <Table.Th ta="right">PSI</Table.Th>
                <Table.Th ta="right">KS</Table.Th>
                <Table.Th>Drifted</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {scores.map((s) => (
                <Table.Tr key={s.feature}>
                  <Table.Td>{s.feature}</Table.Td>
                  <Table.Td ta="right">{formatNumber(s.psi, 3)}</Table.Td>
                  <Table.Td ta="right">{formatNumber(s.ks, 3)}</Table.Td>
                  <Table.Td>
                    {s.drifted ? (
                      <Badge color="orange" variant="light" size="sm" radius="sm">
                        yes
                      </Badge>
                    ) : (
                      <Text size="sm" c="dimmed">
                        no
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function FailureDetails({ details }: { details: Record<string, unknown> }) {
  const reason = detailText(details, "reason") ?? detailText(details, "detail");
  const replica = detailText(details, "replica_id");
  return (
    <Stack gap="sm">
      {replica && <Fact label="Replica">{<Code>{shortId(replica)}</Code>}</Fact>}
      <Fact label={replica ? "What happened" : "Reason"}>
        {reason ? (
          <Code block style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
            {reason}
          </Code>
        ) : (
          "No reason was recorded."
        )}
      </Fact>
    </Stack>
  );
}

function Lifecycle({ alert }: { alert: AlertView }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
      <Fact label="First seen">{formatDate(alert.timestamp)}</Fact>
      <Fact label="Last seen">{formatDate(alert.last_seen_at)}</Fact>
      <Fact label="Occurrences">{formatNumber(alert.occurrences)}</Fact>
      <Fact label="Status">
        <StatusBadge status={alert.status} />
      </Fact>
      {alert.acknowledged_at && (
        <Fact label="Acknowledged">
          {formatDate(alert.acknowledged_at)} by {alert.acknowledged_by ?? "—"}
          {alert.acknowledge_note && <Text size="sm" fs="italic">“{alert.acknowledge_note}”</Text>}
        </Fact>
      )}
      {alert.resolved_at && (
        <Fact label="Resolved">
          {formatDate(alert.resolved_at)} by {alert.resolved_by ?? "—"}
          {alert.resolve_note && <Text size="sm" fs="italic">“{alert.resolve_note}”</Text>}
        </Fact>
      )}
    </SimpleGrid>
  );
}

/** Everything about one alert: what was seen, its scores or reason, and who handled it. */
export function AlertDetails({ alert, actions }: { alert: AlertView; actions?: ReactNode }) {
  const details = alert.details;
  return (
    <Stack gap="lg">
      <Stack gap={6}>
        <Group gap="xs">
          <StatusBadge status={alert.severity} />
          <StatusBadge status={alert.status} />
        </Group>
        <Text size="sm">{sentence(alert.message)}</Text>
        <Group gap="md">
          {alert.model_name && (
            <Anchor component={Link} to={`/models/${encodeURIComponent(alert.model_name)}`} size="sm">
              Model {alert.model_name}
            </Anchor>
          )}
          {alert.deployment_id && (
            <Anchor component={Link} to={`/deployments/${alert.deployment_id}`} size="sm">
              Deployment {shortId(alert.deployment_id)}
            </Anchor>
          )}
        </Group>
        {actions && <Group gap="sm">{actions}</Group>}
      </Stack>
      <Paper withBorder p="md" radius="md">
        <Title order={3} fz="md" mb="sm">
          {alert.alert_type === "drift_detected" ? "What drifted" : "What happened"}
        </Title>
        {alert.alert_type === "drift_detected" ? <DriftDetails details={details} /> : <FailureDetails details={details} />}
      </Paper>
      <Paper withBorder p="md" radius="md">
        <Title order={3} fz="md" mb="sm">
          Record
        </Title>
        <Lifecycle alert={alert} />
      </Paper>
    </Stack>
  );
}
