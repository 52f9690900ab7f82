import { Anchor, Badge, Button, Group, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { IconRocket } from "@tabler/icons-react";
import { Link } from "react-router";

import { useCan } from "../../auth/AuthProvider";
import { Empty, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { type Deployment, type ModelSummary, useDeployments, useModels } from "./queries";

/** The version's stage as far as the registry says: production when it is the model's production version. */
function Stage({ deployment, model }: { deployment: Deployment; model: ModelSummary | undefined }) {
  if (!model) return <Text size="sm" c="dimmed">—</Text>;
  if (model.production_version === deployment.model_version) return <StatusBadge status="production" />;
  if (model.production_version !== null) {
    return (
      <Text size="sm" c="dimmed">
        not production (v{model.production_version} is)
      </Text>
    );
  }
  return <Text size="sm" c="dimmed">no production version</Text>;
}

function Replicas({ deployment }: { deployment: Deployment }) {
  const short = deployment.replicas_ready < deployment.replicas_desired;
  return (
    <Text size="sm" c={short ? "orange" : undefined} fw={short ? 600 : undefined}>
      {deployment.replicas_ready} of {deployment.replicas_desired} ready
    </Text>
  );
}

/** Models in production that nothing serves yet: the next step for an editor. */
function Undeployed({ models, deployed }: { models: ModelSummary[]; deployed: Set<string> }) {
  const waiting = models.filter((m) => m.production_version !== null && !deployed.has(m.name));
  if (waiting.length === 0) return null;
  return (
    <Stack gap={4} mt="sm">
      {waiting.slice(0, 3).map((model) => (
        <Text size="sm" key={model.name}>
          <Anchor component={Link} to={`/models/${encodeURIComponent(model.name)}`}>
            {model.name}
          </Anchor>{" "}
          has version {model.production_version} in production but is not deployed.
        </Text>
      ))}
    </Stack>
  );
}

/** Every live deployment: model, version and stage, health, replicas, and a link to it. */
export function DeployedModels() {
  const deployments = useDeployments();
  const models = useModels();
  const canEdit = useCan("editor");
  const byName = new Map((models.data?.items ?? []).map((m) => [m.name, m]));

  return (
    <QueryState query={deployments} label="deployments">
      {() => {
        const items = (deployments.data?.items ?? []).filter((d) => d.status !== "deleted");
        const deployed = new Set(items.map((d) => d.model_name));
        if (items.length === 0) {
          const registered = (models.data?.total ?? 0) > 0;
          return (
            <>
              <Empty
                icon={<IconRocket size={32} aria-hidden color="var(--mantine-color-dimmed)" />}
                title="No model is deployed yet"
                action={
                  canEdit && registered ? (
                    <Button component={Link} to="/models" variant="light">
                      Deploy from the registry
                    </Button>
                  ) : undefined
                }
              >
                {registered
                  ? "Open a model in the registry and deploy one of its versions: it gets a stable URL, health checks and monitoring."
                  : "Train a model first: once it is registered you can deploy it from the registry."}
              </Empty>
              <Undeployed models={models.data?.items ?? []} deployed={deployed} />
            </>
          );
        }
        return (
          <>
            <Table.ScrollContainer minWidth={560}>
              <Table verticalSpacing="sm" highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Model</Table.Th>
                    <Table.Th>Version</Table.Th>
                    <Table.Th>Health</Table.Th>
                    <Table.Th>Replicas</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Details</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((deployment) => (
                    <Table.Tr key={deployment.deployment_id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/models/${encodeURIComponent(deployment.model_name)}`} fw={600}>
                          {deployment.model_name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <Badge variant="default" radius="sm">
                            v{deployment.model_version}
                          </Badge>
                          <Stage deployment={deployment} model={byName.get(deployment.model_name)} />
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Stack gap={2}>
                          <StatusBadge status={deployment.status} />
                          {deployment.reason && deployment.status !== "ready" && (
                            <Text size="xs" c="dimmed" lineClamp={2} maw={260}>
                              {deployment.reason}
                            </Text>
                          )}
                        </Stack>
                      </Table.Td>
                      <Table.Td>
                        <Replicas deployment={deployment} />
                      </Table.Td>
                      <Table.Td ta="right">
                        <Anchor
                          component={Link}
                          to={`/deployments/${deployment.deployment_id}`}
                          size="sm"
                          aria-label={`Open the deployment of ${deployment.model_name} v${deployment.model_version}`}
                        >
                          Open
                        </Anchor>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Undeployed models={models.data?.items ?? []} deployed={deployed} />
          </>
        );
      }}
    </QueryState>
  );
}
