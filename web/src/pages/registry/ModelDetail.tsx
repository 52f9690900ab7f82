import {
  ActionIcon,
  Anchor,
  Button,
  Card,
  Grid,
  Group,
  SimpleGrid,
  Stack,
  Text,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import {
  IconArrowBackUp,
  IconArrowsDiff,
  IconBox,
  IconCircleCheck,
  IconCircleDashed,
  IconRocket,
  IconStairsUp,
  IconTag,
  IconX,
} from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useCan } from "../../auth/AuthProvider";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { notifyError, notifySuccess } from "../../components/notify";
import { formatDate, timeAgo } from "../../components/format";
import { useRefreshRegistry } from "./actions";
import { AliasModal } from "./AliasModal";
import { DeployModal } from "./DeployModal";
import { DeploymentHistory } from "./DeploymentHistory";
import { formatMetric, metricLabel, type ModelDetailData, useModel, useModelDeployments, useModelTypes } from "./data";
import { MetricHistoryChart } from "./MetricHistoryChart";
import { PromoteModal } from "./PromoteModal";
import { RollbackModal } from "./RollbackModal";
import { Tag } from "./Tag";
import { type VersionAction, VersionsTable } from "./VersionsTable";
import { VersionTimeline } from "./VersionTimeline";
import { Stat } from "../../components/Facts";

type Dialog = { kind: "deploy" | "promote" | "rollback" | "alias"; versionId?: string } | null;


function AliasBadge({ model, alias, version, canEdit }: { model: string; alias: string; version: number; canEdit: boolean }) {
  const refresh = useRefreshRegistry();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/models/{name}/aliases/{alias}", { params: { path: { name: model, alias } } })),
    onSuccess: () => {
      notifySuccess(`Alias ${alias} removed.`);
      refresh();
    },
    onError: (error) => notifyError(error, `Alias ${alias} was not removed`),
  });
  return (
    <Tag
      size="lg"
      icon={<IconTag size={14} aria-hidden />}
      rightSection={
        canEdit ? (
          <ActionIcon
            size="xs"
            variant="subtle"
            color="gray"
            aria-label={`Remove alias ${alias}`}
            loading={remove.isPending}
            onClick={() => remove.mutate()}
          >
            <IconX size={12} aria-hidden />
          </ActionIcon>
        ) : undefined
      }
    >
      {alias} → v{version}
    </Tag>
  );
}

function Header({ model, typeTitle, canEdit }: { model: ModelDetailData; typeTitle: string; canEdit: boolean }) {
  const aliases = Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b));
  const tags = Object.entries(model.tags);
  return (
    <Group gap="xs" mb="lg" mt={-8}>
      <Tag size="lg" icon={<IconBox size={14} aria-hidden />}>{typeTitle}</Tag>
      {model.production_version ? (
        <Tag size="lg" icon={<IconCircleCheck size={14} color="var(--mantine-color-green-6)" aria-hidden />}>
          Production: version {model.production_version}
        </Tag>
      ) : (
        <Tag size="lg" icon={<IconCircleDashed size={14} aria-hidden />}>No production version</Tag>
      )}
      {aliases.map(([alias, version]) => (
        <AliasBadge key={alias} model={model.name} alias={alias} version={version} canEdit={canEdit} />
      ))}
      {tags.map(([key, value]) => (
        <Tag key={key} size="lg">
          {key}: {value}
        </Tag>
      ))}
    </Group>
  );
}

function NotFound({ name }: { name: string }) {
  return (
    <>
      <PageHeader title="Model not found" />
      <VisuallyHidden component="h2">What to do</VisuallyHidden>
      <Empty title={`No model named ${name}`} action={<Button component={Link} to="/models" variant="light">Back to the registry</Button>}>
        It may have been mistyped, or it has not been registered yet: a model appears once one of its training runs succeeds.
      </Empty>
    </>
  );
}

function Details({ model, primary, typeTitle }: { model: ModelDetailData; primary: string; typeTitle: string }) {
  const canEdit = useCan("editor");
  const navigate = useNavigate();
  const deployments = useModelDeployments(model.name);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const close = () => setDialog(null);

  const versions = model.versions;
  const present = selected.filter((id) => versions.some((v) => v.model_id === id));
  const toggle = (id: string) => setSelected((current) => (current.includes(id) ? current.filter((x) => x !== id) : [...current, id]));
  const compare = () => {
    const ids = versions
      .filter((v) => present.includes(v.model_id))
      .sort((a, b) => a.version - b.version)
      .map((v) => v.model_id);
    navigate(`/models/compare?ids=${ids.join(",")}`);
  };
  const onAction = (action: VersionAction, versionId: string) => setDialog({ kind: action, versionId });
  const shown = versions.find((v) => v.model_id === (model.production_model_id ?? model.latest_model_id));
  const live = (deployments.data?.items ?? []).filter((d) => d.status !== "deleted");

  return (
    <>
      <PageHeader
        title={model.name}
        description={model.description || `${versions.length} version${versions.length === 1 ? "" : "s"}, newest registered ${timeAgo(model.registered_at)}.`}
        actions={
          canEdit ? (
            <>
              <Button leftSection={<IconRocket size={16} aria-hidden />} onClick={() => setDialog({ kind: "deploy" })}>
                Deploy
              </Button>
              <Button variant="default" leftSection={<IconStairsUp size={16} aria-hidden />} onClick={() => setDialog({ kind: "promote" })}>
                Promote
              </Button>
              <Button variant="default" leftSection={<IconArrowBackUp size={16} aria-hidden />} onClick={() => setDialog({ kind: "rollback" })}>
                Rollback
              </Button>
              <Button variant="default" leftSection={<IconTag size={16} aria-hidden />} onClick={() => setDialog({ kind: "alias" })}>
                Set alias
              </Button>
            </>
          ) : undefined
        }
      />
      <Header model={model} typeTitle={typeTitle} canEdit={canEdit} />

      <SimpleGrid cols={{ base: 2, lg: 4 }} spacing={{ base: "xs", sm: "md" }} mb="xl">
        <Stat
          label="Production version"
          value={model.production_version ? `v${model.production_version}` : "None"}
          hint={model.production_version ? "served by deployments that follow production" : canEdit ? "promote a version to production" : "no version is in production"}
        />
        <Stat label="Latest version" value={`v${model.latest_version}`} hint={`registered ${timeAgo(model.registered_at)}`} />
        <Stat
          label={metricLabel(primary)}
          value={shown ? formatMetric(primary, shown.metrics[primary]) : "—"}
          hint={shown ? `of version ${shown.version} (${shown.status})` : undefined}
        />
        <Stat
          label="Live deployments"
          value={deployments.data ? live.length : "—"}
          hint={live.length ? `${live.filter((d) => d.status === "ready").length} ready` : "not deployed"}
        />
      </SimpleGrid>

      <Stack gap="xl">
        <Grid gap="xl">
          <Grid.Col span={{ base: 12, lg: 7 }}>
            <section aria-labelledby="metric-history">
              <Title order={2} fz="h3" mb="sm" id="metric-history">Metric history</Title>
              <Card withBorder padding="md">
                <MetricHistoryChart history={model.metric_history} primary={primary} />
              </Card>
            </section>
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 5 }}>
            <section aria-labelledby="timeline">
              <Title order={2} fz="h3" mb="sm" id="timeline">Timeline</Title>
              <Card withBorder padding="md">
                <VersionTimeline timeline={model.timeline} versions={versions.map((v) => v.version)} />
              </Card>
            </section>
          </Grid.Col>
        </Grid>

        <section aria-labelledby="versions">
          <Group justify="space-between" mb="sm" gap="sm">
            <Title order={2} fz="h3" id="versions">Versions</Title>
            <Group gap="sm">
              <Text size="sm" c="dimmed" aria-live="polite">
                {present.length === 0 ? "Tick two or more versions to compare them." : `${present.length} selected`}
              </Text>
              <Button variant="light" leftSection={<IconArrowsDiff size={16} aria-hidden />} disabled={present.length < 2} onClick={compare}>
                Compare
              </Button>
            </Group>
          </Group>
          <Card withBorder padding={0}>
            <VersionsTable
              versions={versions}
              primary={primary}
              selected={present}
              onToggle={toggle}
              canEdit={canEdit}
              onAction={onAction}
              latestId={model.latest_model_id}
            />
          </Card>
        </section>

        <section aria-labelledby="deployment-history">
          <Title order={2} fz="h3" mb="sm" id="deployment-history">Deployment history</Title>
          <Card withBorder padding={deployments.data?.items.length ? 0 : "md"}>
            <QueryState query={deployments} label="deployments">
              {() =>
                deployments.data && deployments.data.items.length > 0 ? (
                  <DeploymentHistory deployments={deployments.data.items} />
                ) : (
                  <Empty
                    icon={<IconRocket size={32} stroke={1.5} aria-hidden />}
                    title="Not deployed yet"
                    action={canEdit ? <Button variant="light" onClick={() => setDialog({ kind: "deploy" })}>Deploy a version</Button> : undefined}
                  >
                    Deploy a version to serve predictions at a stable address. Deployments that follow production move to each new production version by themselves.
                  </Empty>
                )
              }
            </QueryState>
          </Card>
          <Text size="xs" c="dimmed" mt="xs">
            All deployments are on the <Anchor component={Link} to="/deployments" size="xs" underline="always">Deployments</Anchor> page.
          </Text>
        </section>
        <Text size="xs" c="dimmed">
          Last change {formatDate(model.updated_at)}.
        </Text>
      </Stack>

      {canEdit && (
        <>
          <DeployModal model={model} primary={primary} opened={dialog?.kind === "deploy"} onClose={close} initialVersionId={dialog?.versionId} />
          <PromoteModal model={model} primary={primary} opened={dialog?.kind === "promote"} onClose={close} initialVersionId={dialog?.versionId} />
          <RollbackModal model={model} primary={primary} opened={dialog?.kind === "rollback"} onClose={close} />
          <AliasModal model={model} primary={primary} opened={dialog?.kind === "alias"} onClose={close} initialVersionId={dialog?.versionId} />
        </>
      )}
    </>
  );
}

/** One model: its versions, metric history, timeline and deployments, and the actions on them. */
export function ModelDetail() {
  const { modelName = "" } = useParams();
  const model = useModel(modelName);
  const types = useModelTypes();

  if (model.error instanceof ApiError && model.error.status === 404) return <NotFound name={modelName} />;
  return (
    <QueryState query={model} label="the model">
      {() => {
        if (!model.data) return <NotFound name={modelName} />;
        const type = types.data?.find((t) => t.name === model.data.model_type);
        return (
          <>
            <Anchor component={Link} to="/models" size="sm" mb="xs" display="inline-block">
              ← Model registry
            </Anchor>
            <Details model={model.data} primary={type?.primary_metric ?? "test_accuracy"} typeTitle={type?.title ?? model.data.model_type} />
          </>
        );
      }}
    </QueryState>
  );
}
