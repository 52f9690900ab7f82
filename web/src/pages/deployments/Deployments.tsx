import { Sparkline } from "@mantine/charts";
import { Anchor, Box, Button, Group, Paper, Select, Stack, Switch, Table, Text } from "@mantine/core";
import { IconBox, IconPlayerPlay, IconRocket } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useCan } from "../../auth/AuthProvider";
import { formatDate, formatNumber, timeAgo } from "../../components/format";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { fetchMetrics, type Deployment } from "./api";
import { EndpointCopy } from "./EndpointCopy";

type StatusFilter = "all" | "pending" | "ready" | "degraded" | "failed";

const STATUS_OPTIONS = [
  { value: "all", label: "Any status" },
  { value: "ready", label: "Ready" },
  { value: "pending", label: "Pending" },
  { value: "degraded", label: "Degraded" },
  { value: "failed", label: "Failed" },
];

/** Requests per second over the last hour, as a small line (the numbers are in its label). */
function Traffic({ deploymentId }: { deploymentId: string }) {
  const query = useQuery({
    queryKey: keys.metrics({ deployment: deploymentId, window: 3600, step: 120, view: "sparkline" }),
    queryFn: () => fetchMetrics(deploymentId, 3600, 120),
    placeholderData: keepPreviousData,
  });
  if (!query.data) return <Text size="sm" c="dimmed">—</Text>;
  const rates = query.data.points.map((p) => p.request_rate);
  const total = query.data.totals.requests;
  return (
    <Group gap="xs" wrap="nowrap">
      <Box role="img" aria-label={`${formatNumber(total)} requests in the last hour, peak ${formatNumber(Math.max(0, ...rates), 2)} per second`}>
        <Sparkline w={96} h={28} data={rates.length ? rates : [0]} curveType="monotone" color="blue" fillOpacity={0.3} strokeWidth={1.5} />
      </Box>
      <Text size="xs" c="dimmed" style={{ whiteSpace: "nowrap" }}>
        {formatNumber(total)} req
      </Text>
    </Group>
  );
}

function Row({ deployment }: { deployment: Deployment }) {
  const d = deployment;
  const to = `/deployments/${d.deployment_id}`;
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={to} fw={600}>
          {d.model_name} v{d.model_version}
        </Anchor>
        <Text size="xs" c="dimmed">
          {d.model_type}
        </Text>
      </Table.Td>
      <Table.Td miw={120}>
        <StatusBadge status={d.status} />
        {d.reason && (d.status === "degraded" || d.status === "failed") && (
          <Text size="xs" c="dimmed" lineClamp={2} maw={240} title={d.reason}>
            {d.reason}
          </Text>
        )}
      </Table.Td>
      <Table.Td style={{ whiteSpace: "nowrap" }}>
        {d.replicas_ready} / {d.replicas_desired} ready
      </Table.Td>
      <Table.Td>{d.follow_production ? "Follows production" : "Pinned"}</Table.Td>
      <Table.Td>{d.status === "deleted" ? <Text size="sm" c="dimmed">—</Text> : <Traffic deploymentId={d.deployment_id} />}</Table.Td>
      <Table.Td>
        <EndpointCopy endpoint={d.endpoint} short />
      </Table.Td>
      <Table.Td style={{ whiteSpace: "nowrap" }} title={formatDate(d.created_at)}>
        {timeAgo(d.created_at)}
      </Table.Td>
    </Table.Tr>
  );
}

function NothingDeployed({ canEdit }: { canEdit: boolean }) {
  return (
    <Paper withBorder radius="md">
      <Empty
        icon={<IconRocket size={40} stroke={1.5} aria-hidden />}
        title="Nothing deployed yet"
        action={
          <Group justify="center" gap="sm" mt="sm">
            <Button component={Link} to="/models" leftSection={<IconBox size={16} aria-hidden />}>
              Open the registry
            </Button>
            {canEdit && (
              <Button component={Link} to="/workflows/new" variant="default" leftSection={<IconPlayerPlay size={16} aria-hidden />}>
                New workflow
              </Button>
            )}
          </Group>
        }
      >
        A deployment serves a registered model at its own endpoint, with replicas, live charts and drift alerts.
        {canEdit
          ? " Deploy a version from the Registry (open a model, then Deploy), or tick “Deploy if training succeeds” when you start a new workflow."
          : " An editor can deploy a version from the Registry, or tick “Deploy if training succeeds” when starting a workflow."}
      </Empty>
    </Paper>
  );
}

/** Every deployment with its health, replicas and traffic. */
export function Deployments() {
  const canEdit = useCan("editor");
  const [status, setStatus] = useState<StatusFilter>("all");
  const [showDeleted, setShowDeleted] = useState(false);
  const filters = { status: status === "all" ? undefined : status, include_deleted: showDeleted };
  const query = useQuery({
    queryKey: keys.deployments(filters),
    queryFn: () => unwrap(api.GET("/api/deployments", { params: { query: { ...filters, limit: 200 } } })),
    placeholderData: keepPreviousData,
  });
  const filtered = status !== "all" || showDeleted;

  return (
    <>
      <PageHeader
        title="Deployments"
        description="Models serving predictions: their health, replicas and traffic. Each answers at its own endpoint."
        actions={
          canEdit ? (
            <Button component={Link} to="/models" variant="default" leftSection={<IconBox size={16} aria-hidden />}>
              Deploy from the registry
            </Button>
          ) : undefined
        }
      />
      <QueryState query={query} label="deployments">
        {() => {
          const page = query.data;
          if (!page) return null;
          if (page.total === 0 && !filtered) return <NothingDeployed canEdit={canEdit} />;
          return (
            <Stack gap="md">
              <Group gap="lg" align="flex-end">
                <Select
                  label="Status"
                  data={STATUS_OPTIONS}
                  value={status}
                  onChange={(value) => setStatus((value as StatusFilter | null) ?? "all")}
                  allowDeselect={false}
                  w={180}
                />
                <Switch label="Show deleted deployments" checked={showDeleted} onChange={(e) => setShowDeleted(e.currentTarget.checked)} mb={8} />
              </Group>
              {page.items.length === 0 ? (
                <Paper withBorder radius="md">
                  <Empty title="No deployment matches">Choose another status, or show deleted deployments.</Empty>
                </Paper>
              ) : (
                <Paper withBorder radius="md">
                  <Table.ScrollContainer minWidth={980}>
                    <Table verticalSpacing="sm" highlightOnHover>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Model</Table.Th>
                          <Table.Th>Status</Table.Th>
                          <Table.Th>Replicas</Table.Th>
                          <Table.Th>Version policy</Table.Th>
                          <Table.Th>Last hour</Table.Th>
                          <Table.Th>Endpoint</Table.Th>
                          <Table.Th>Created</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {page.items.map((deployment) => (
                          <Row key={deployment.deployment_id} deployment={deployment} />
                        ))}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                </Paper>
              )}
              {page.total > page.items.length && (
                <Text size="sm" c="dimmed">
                  Showing the newest {page.items.length} of {page.total} deployments.
                </Text>
              )}
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}
