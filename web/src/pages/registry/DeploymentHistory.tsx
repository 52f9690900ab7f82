import { Anchor, Group, Stack, Table, Text, Tooltip } from "@mantine/core";
import { Link } from "react-router";

import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, shortId, timeAgo } from "../../components/format";
import type { Deployment } from "./data";
import { IconArrowsExchange, IconPin, IconRefresh } from "@tabler/icons-react";
import { Tag } from "./Tag";

/** The model's deployments, live and deleted: status, version, replicas, when and by whom. */
export function DeploymentHistory({ deployments }: { deployments: Deployment[] }) {
  const sorted = deployments.slice().sort((a, b) => b.created_at.localeCompare(a.created_at));
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Deployment</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Version</Table.Th>
            <Table.Th>Replicas</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Created by</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sorted.map((deployment) => (
            <Table.Tr key={deployment.deployment_id}>
              <Table.Td>
                <Anchor component={Link} to={`/deployments/${deployment.deployment_id}`} size="sm" fw={600}
                  aria-label={`Deployment ${shortId(deployment.deployment_id)} of version ${deployment.model_version}`}>
                  {shortId(deployment.deployment_id)}
                </Anchor>
                <Text size="xs" c="dimmed">{deployment.namespace} · {deployment.runtime}</Text>
              </Table.Td>
              <Table.Td>
                <Stack gap={2}>
                  <StatusBadge status={deployment.status} />
                  {deployment.reason && deployment.status !== "ready" && (
                    <Text size="xs" c="dimmed" lineClamp={2} maw={260} title={deployment.reason}>
                      {deployment.reason}
                    </Text>
                  )}
                </Stack>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <Text size="sm">v{deployment.model_version}</Text>
                  {deployment.follow_production ? (
                    <Tag size="xs" icon={<IconRefresh size={11} color="var(--mantine-color-green-6)" aria-hidden />}>follows production</Tag>
                  ) : (
                    <Tag size="xs" icon={<IconPin size={11} aria-hidden />}>pinned</Tag>
                  )}
                  {deployment.rolling_from && (
                    <Tag size="xs" icon={<IconArrowsExchange size={11} color="var(--mantine-color-blue-6)" aria-hidden />}>rolling out</Tag>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm">
                  {deployment.status === "deleted" ? "—" : `${deployment.replicas_ready} of ${deployment.replicas_desired} ready`}
                </Text>
              </Table.Td>
              <Table.Td>
                <Tooltip label={formatDate(deployment.created_at)}>
                  <Text size="sm" component="span">{timeAgo(deployment.created_at)}</Text>
                </Tooltip>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{deployment.created_by}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
