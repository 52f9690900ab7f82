import { Alert, Anchor, Breadcrumbs, Code, Paper, SimpleGrid, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconInfoCircle } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useCan } from "../../auth/AuthProvider";
import { formatDate, shortId, timeAgo } from "../../components/format";
import { PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import type { DeploymentFull } from "./api";
import { DeploymentActions } from "./DeploymentActions";
import { EndpointCopy } from "./EndpointCopy";
import { MetricsPanel } from "./MetricsPanel";
import { HistoryTimeline, ReplicasTable } from "./ReplicasAndHistory";
import { TryIt } from "./TryIt";
import { Fact } from "../../components/Facts";


function Summary({ deployment }: { deployment: DeploymentFull }) {
  const d = deployment;
  return (
    <Paper withBorder p="lg" radius="md">
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3, lg: 6 }} spacing="md">
        <Fact label="Status">
          <StatusBadge status={d.status} size="md" />
        </Fact>
        <Fact label="Replicas">
          <Text fw={600} span>
            {d.replicas_ready} of {d.replicas_desired}
          </Text>{" "}
          ready
        </Fact>
        <Fact label="Version policy">
          {d.follow_production ? "Follows production" : `Pinned to version ${d.model_version}`}
        </Fact>
        <Fact label="Model">
          <Anchor component={Link} to={`/models/${encodeURIComponent(d.model_name)}`}>
            {d.model_name}
          </Anchor>{" "}
          v{d.model_version}
        </Fact>
        <Fact label="Created">
          <span title={formatDate(d.created_at)}>{timeAgo(d.created_at)}</span> by {d.created_by}
          {d.run_id && (
            <>
              {" "}
              from run{" "}
              <Anchor component={Link} to={`/runs/${d.run_id}`}>
                {shortId(d.run_id)}
              </Anchor>
            </>
          )}
        </Fact>
        <Fact label="Resources per replica">
          {Object.keys(d.resource_limits).length === 0
            ? "No limits"
            : Object.entries(d.resource_limits)
                .filter(([, v]) => v !== null && v !== undefined)
                .map(([k, v]) => `${k} ${String(v)}`)
                .join(" · ")}
        </Fact>
      </SimpleGrid>
      <Stack gap={4} mt="md">
        <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
          Endpoint
        </Text>
        <EndpointCopy endpoint={d.endpoint} />
        <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
          Open Inference Protocol v2 at <Code style={{ overflowWrap: "anywhere" }}>{`${d.endpoint}/v2/models/${d.model_name}/infer`}</Code>, or
          simple JSON at <Code style={{ overflowWrap: "anywhere" }}>{`${d.endpoint}/predict`}</Code>. Send your API token as a Bearer header.
        </Text>
      </Stack>
    </Paper>
  );
}

function Notices({ deployment }: { deployment: DeploymentFull }) {
  const d = deployment;
  const previous = d.rolling_from ? d.history.find((entry) => entry.model_id === d.rolling_from)?.model_version : undefined;
  return (
    <>
      {(d.status === "degraded" || d.status === "failed") && (
        <Alert
          color={d.status === "failed" ? "red" : "orange"}
          icon={<IconAlertTriangle size={18} aria-hidden />}
          title={d.status === "failed" ? "This deployment failed" : "This deployment is degraded"}
        >
          <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
            {d.reason ?? "No reason was given."}
          </Text>
        </Alert>
      )}
      {d.rolling_from && (
        <Alert color="blue" icon={<IconInfoCircle size={18} aria-hidden />} title={`Rolling out version ${d.model_version}`}>
          {previous !== undefined ? `Version ${previous} keeps serving` : "The current version keeps serving"} while the{" "}
          {d.replicas_desired} replica{d.replicas_desired === 1 ? "" : "s"} of version {d.model_version} start; the traffic
          switches once all of them are ready ({d.replicas_ready} so far).
        </Alert>
      )}
      {d.status === "deleted" && (
        <Alert color="gray" icon={<IconInfoCircle size={18} aria-hidden />} title="This deployment was deleted">
          Its replicas are stopped and its endpoint no longer answers. Its history is kept below.
        </Alert>
      )}
    </>
  );
}

function Page({ deployment }: { deployment: DeploymentFull }) {
  const canEdit = useCan("editor");
  const d = deployment;
  const live = d.status !== "deleted";
  return (
    <Stack gap="lg">
      <Breadcrumbs>
        <Anchor component={Link} to="/deployments" size="sm">
          Deployments
        </Anchor>
        <Text size="sm">{shortId(d.deployment_id)}</Text>
      </Breadcrumbs>
      <PageHeader
        title={`${d.model_name} v${d.model_version}`}
        description={
          <>
            Deployment <Code>{shortId(d.deployment_id)}</Code> · {d.runtime} runtime · namespace {d.namespace} ·{" "}
            <Anchor component={Link} to={`/alerts?deployment_id=${encodeURIComponent(d.deployment_id)}`} size="sm" underline="always">
              See its alerts
            </Anchor>
          </>
        }
        actions={canEdit && live ? <DeploymentActions deployment={d} /> : undefined}
      />
      <Notices deployment={d} />
      <Summary deployment={d} />
      <MetricsPanel deploymentId={d.deployment_id} />
      {live && <TryIt deployment={d} />}
      <ReplicasTable replicas={d.replicas} servedModelId={d.model_id} />
      <HistoryTimeline history={d.history} />
    </Stack>
  );
}

/** One deployment: its health, traffic charts, a place to try it, its replicas and history. */
export function DeploymentDetail() {
  const { deploymentId = "" } = useParams();
  const query = useQuery({
    queryKey: keys.deployment(deploymentId),
    queryFn: () => unwrap(api.GET("/api/deployments/{deployment_id}", { params: { path: { deployment_id: deploymentId } } })),
  });
  if (query.data) return <Page deployment={query.data} />;
  return (
    <>
      <PageHeader title="Deployment" description={<Code>{deploymentId}</Code>} />
      <QueryState query={query} label="the deployment">
        {() => null}
      </QueryState>
    </>
  );
}
