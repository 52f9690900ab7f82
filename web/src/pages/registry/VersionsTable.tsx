import { ActionIcon, Anchor, Checkbox, Group, Menu, Stack, Table, Text, Tooltip } from "@mantine/core";
import { IconDots, IconRocket, IconStairsUp, IconTag } from "@tabler/icons-react";
import { Link } from "react-router";

import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, shortId, timeAgo } from "../../components/format";
import { formatMetric, keyMetrics, metricLabel, type VersionDetail } from "./data";
import { Tag } from "./Tag";

export type VersionAction = "deploy" | "promote" | "alias";

/** Every version of a model: status, metrics, who and when, its run, aliases; tick to compare. */
export function VersionsTable({ versions, primary, selected, onToggle, canEdit, onAction, latestId }: {
  versions: VersionDetail[];
  primary: string;
  selected: string[];
  onToggle: (modelId: string) => void;
  canEdit: boolean;
  onAction: (action: VersionAction, modelId: string) => void;
  latestId: string | null;
}) {
  return (
    <Table.ScrollContainer minWidth={canEdit ? 980 : 920}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={48}>Compare</Table.Th>
            <Table.Th>Version</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Metrics</Table.Th>
            <Table.Th>Created at</Table.Th>
            <Table.Th>Created by</Table.Th>
            <Table.Th>Run</Table.Th>
            <Table.Th>Aliases</Table.Th>
            {canEdit && <Table.Th w={56}>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.map((version) => {
            const checked = selected.includes(version.model_id);
            return (
              <Table.Tr key={version.model_id} bg={checked ? "var(--mantine-primary-color-light)" : undefined}>
                <Table.Td>
                  <Checkbox
                    aria-label={`Select version ${version.version} to compare`}
                    checked={checked}
                    onChange={() => onToggle(version.model_id)}
                    disabled={!checked && selected.length >= 10}
                  />
                </Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Text fw={600} size="sm">v{version.version}</Text>
                    {version.model_id === latestId && <Tag size="xs">latest</Tag>}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={version.status} />
                </Table.Td>
                <Table.Td>
                  <Stack gap={0} style={{ whiteSpace: "nowrap" }}>
                    {keyMetrics(version.metrics, primary, 3).map(([name, value]) => (
                      <Text size="sm" key={name}>
                        <Text span c="dimmed" size="sm">{metricLabel(name)}:</Text>{" "}
                        <Text span fw={600} size="sm">{formatMetric(name, value)}</Text>
                      </Text>
                    ))}
                    {Object.keys(version.metrics).length === 0 && <Text size="sm" c="dimmed">None</Text>}
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <Tooltip label={formatDate(version.registered_at)}>
                    <Text size="sm" component="span">{timeAgo(version.registered_at)}</Text>
                  </Tooltip>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{version.registered_by}</Text>
                </Table.Td>
                <Table.Td>
                  {version.job_id ? (
                    <Anchor component={Link} to={`/runs/${version.job_id}`} size="sm" aria-label={`Run ${shortId(version.job_id)} that trained version ${version.version}`}>
                      Run {shortId(version.job_id)}
                    </Anchor>
                  ) : (
                    <Text size="sm" c="dimmed">Uploaded</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {version.aliases.length ? (
                    <Group gap={4}>
                      {version.aliases.map((alias) => (
                        <Tag key={alias} icon={<IconTag size={12} aria-hidden />}>{alias}</Tag>
                      ))}
                    </Group>
                  ) : (
                    <Text size="sm" c="dimmed">—</Text>
                  )}
                </Table.Td>
                {canEdit && (
                  <Table.Td>
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for version ${version.version}`}>
                          <IconDots size={18} aria-hidden />
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item leftSection={<IconRocket size={16} aria-hidden />} onClick={() => onAction("deploy", version.model_id)}>
                          Deploy version {version.version}
                        </Menu.Item>
                        <Menu.Item leftSection={<IconStairsUp size={16} aria-hidden />} onClick={() => onAction("promote", version.model_id)}>
                          Change status of version {version.version}
                        </Menu.Item>
                        <Menu.Item leftSection={<IconTag size={16} aria-hidden />} onClick={() => onAction("alias", version.model_id)}>
                          Set an alias on version {version.version}
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                )}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
