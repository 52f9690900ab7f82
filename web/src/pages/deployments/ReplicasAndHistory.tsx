import { Code, Paper, Table, Text, Timeline, Title } from "@mantine/core";
import { IconAlertTriangle, IconArrowsUpDown, IconCheck, IconRefresh, IconRocket, IconTrash, IconX } from "@tabler/icons-react";
import type { ReactNode } from "react";

import { formatDate, shortId, timeAgo } from "../../components/format";
import { StatusBadge } from "../../components/StatusBadge";
import type { HistoryEntry, Replica } from "./api";

/** The deployment's inference processes. */
export function ReplicasTable({ replicas, servedModelId }: { replicas: Replica[]; servedModelId: string }) {
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="replicas-title">
      <Title order={2} fz="h3" id="replicas-title" mb="sm">
        Replicas
      </Title>
      {replicas.length === 0 ? (
        <Text size="sm" c="dimmed">
          No replica is running.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="xs" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Replica</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Process id</Table.Th>
                <Table.Th>Address</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Restarts</Table.Th>
                <Table.Th>Started</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {replicas.map((replica) => (
                <Table.Tr key={replica.replica_id}>
                  <Table.Td>
                    <Code>{shortId(replica.replica_id)}</Code>
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={replica.status} />
                  </Table.Td>
                  <Table.Td>{replica.pid ?? "—"}</Table.Td>
                  <Table.Td>{replica.url ? <Code>{replica.url}</Code> : "—"}</Table.Td>
                  <Table.Td>{replica.model_id === servedModelId ? "served" : shortId(replica.model_id)}</Table.Td>
                  <Table.Td>{replica.restarts}</Table.Td>
                  <Table.Td title={formatDate(replica.started_at)}>{timeAgo(replica.started_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}

const ICONS: Record<string, ReactNode> = {
  deploying: <IconRocket size={14} aria-hidden />,
  ready: <IconCheck size={14} aria-hidden />,
  degraded: <IconAlertTriangle size={14} aria-hidden />,
  failed: <IconX size={14} aria-hidden />,
  scaled: <IconArrowsUpDown size={14} aria-hidden />,
  updated: <IconRefresh size={14} aria-hidden />,
  deleted: <IconTrash size={14} aria-hidden />,
};

const COLORS: Record<string, string> = {
  ready: "green",
  degraded: "orange",
  failed: "red",
  deleted: "gray",
};

const WORDS: Record<string, string> = {
  deploying: "Deploying",
  ready: "Ready",
  degraded: "Degraded",
  failed: "Failed",
  scaled: "Scaled",
  updated: "Rolled to another version",
  deleted: "Deleted",
};

/** Every change of the deployment, newest first. */
export function HistoryTimeline({ history }: { history: HistoryEntry[] }) {
  const entries = [...history].reverse();
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="history-title">
      <Title order={2} fz="h3" id="history-title" mb="md">
        History
      </Title>
      {entries.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nothing has happened yet.
        </Text>
      ) : (
        <Timeline bulletSize={24} lineWidth={2} active={entries.length}>
          {entries.map((entry, index) => (
            <Timeline.Item
              key={`${entry.at}-${index}`}
              bullet={ICONS[entry.event] ?? <IconRefresh size={14} aria-hidden />}
              color={COLORS[entry.event] ?? "blue"}
              title={`${WORDS[entry.event] ?? entry.event} · version ${entry.model_version}`}
            >
              {entry.detail && (
                <Text size="sm" style={{ overflowWrap: "anywhere" }}>
                  {entry.detail}
                </Text>
              )}
              <Text size="xs" c="dimmed" mt={2}>
                {entry.replicas_ready} of {entry.replicas_desired} replicas ready · {entry.actor ? `by ${entry.actor} · ` : ""}
                <span title={formatDate(entry.at)}>{timeAgo(entry.at)}</span>
              </Text>
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Paper>
  );
}
