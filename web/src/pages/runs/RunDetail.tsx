import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from "@mantine/core";
import {
  IconAlertTriangle,
  IconArrowLeft,
  IconBox,
  IconCheck,
  IconCopy,
  IconPlayerStop,
  IconRefresh,
  IconRocket,
} from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { components } from "../../api/schema";
import { useCan } from "../../auth/AuthProvider";
import { PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, formatDuration, shortId } from "../../components/format";
import { modelTypeTitle, useModelTypes } from "../workflows/modelTypes";
import { CancelRun } from "./CancelRun";
import { EpochChart, EpochTable } from "./EpochChart";
import { LogView } from "./LogView";
import { flatten, Mono, ParamsView } from "./ParamsView";
import { formatMetric, metricLabel, runSeconds, sortMetrics } from "./runFormat";
import { StepTimeline } from "./StepTimeline";

type Run = components["schemas"]["RunDetail"];

const HINTS: Record<string, string> = {
  data_error: "Check the data source: the path, the file format and, for S3, GCS or databases, the credentials in Settings → Data sources.",
  invalid_parameters: "A training setting was refused. Start a new run with other values.",
  out_of_memory: "The trainer ran out of memory. Raise the memory limit under Advanced, or lower the batch size.",
  trainer_lost: "The trainer stopped unexpectedly (the platform restarted or the process was killed). Run it again.",
  gate_failed: "The model did not reach the quality gate's minimum, so nothing was registered. Train longer, change the settings or lower the minimum.",
  register_rejected: "The registry refused the model; the log says why.",
};

function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <Paper withBorder radius="md" p={{ base: "md", sm: "lg" }}>
      <Stack gap="md">
        <Group justify="space-between" gap="sm">
          <Title order={2} fz="lg">
            {title}
          </Title>
          {actions}
        </Group>
        {children}
      </Stack>
    </Paper>
  );
}

function totalEpochs(run: Run): number | null {
  const training = run.workflow_params.training;
  if (typeof training === "object" && training !== null && "epochs" in training) {
    const epochs = (training as { epochs?: unknown }).epochs;
    return typeof epochs === "number" ? epochs : null;
  }
  return null;
}

function progressWords(run: Run): string {
  const seconds = formatDuration(runSeconds(run));
  const total = totalEpochs(run);
  switch (run.status) {
    case "queued":
      return run.queue_position
        ? `Waiting for a free training slot — number ${run.queue_position} in the queue.`
        : "Waiting for a free training slot.";
    case "running": {
      const step = run.step ? `Step ${run.step}` : "Starting";
      const done = run.epochs.length;
      const epochs = !total ? "" : done < total ? ` · epoch ${done + 1} of ${total}` : ` · all ${total} epochs done`;
      return `${step}${epochs} · running for ${seconds}.`;
    }
    case "succeeded":
      return `Finished in ${seconds}.`;
    case "failed":
      return `Stopped after ${seconds}.`;
    default:
      return `Cancelled after ${seconds}.`;
  }
}

function RunProgress({ run }: { run: Run }) {
  const percent = Math.round((run.status === "succeeded" ? 1 : run.progress) * 100);
  const color = run.status === "failed" ? "red" : run.status === "succeeded" ? "green" : run.status === "cancelled" ? "gray" : "blue";
  return (
    <Stack gap={6}>
      <Group gap="md" wrap="nowrap">
        <Progress
          value={percent}
          size="lg"
          radius="xl"
          color={color}
          animated={run.status === "running"}
          aria-label="Training progress"
          style={{ flex: 1 }}
        />
        <Text fw={700} size="lg" miw={56} ta="right">
          {percent} %
        </Text>
      </Group>
      <Text size="sm" c="dimmed">
        {progressWords(run)}
      </Text>
    </Stack>
  );
}

function Outcome({ run }: { run: Run }) {
  if (run.status === "failed") {
    const hint = run.error_code ? HINTS[run.error_code] : undefined;
    return (
      <Alert
        color="red"
        variant="light"
        icon={<IconAlertTriangle size={20} aria-hidden />}
        title={run.step ? `This run failed at the ${run.step} step` : "This run failed"}
        role="alert"
      >
        <Stack gap={6}>
          <Text size="sm" fw={500} style={{ overflowWrap: "anywhere" }}>
            {run.error ?? "No reason was recorded; see the log below."}
          </Text>
          {hint && <Text size="sm">{hint}</Text>}
          {run.error_code && (
            <Group gap={6}>
              <Text size="xs" c="dimmed">
                Error code
              </Text>
              <Badge size="xs" variant="outline" color="red" radius="sm">
                {run.error_code}
              </Badge>
            </Group>
          )}
        </Stack>
      </Alert>
    );
  }
  if (run.status === "cancelled") {
    return (
      <Alert color="orange" variant="light" icon={<IconPlayerStop size={20} aria-hidden />} title={`Cancelled${run.cancelled_by ? ` by ${run.cancelled_by}` : ""}`}>
        <Text size="sm">{run.cancel_reason ? `Reason: ${run.cancel_reason}` : "No reason was given."}</Text>
      </Alert>
    );
  }
  return null;
}

function MetricCards({ run }: { run: Run }) {
  const names = sortMetrics(Object.keys(run.metrics));
  const test = names.filter((name) => name.startsWith("test_"));
  const shown = test.length > 0 ? test : names;
  if (shown.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {run.status === "queued" || run.status === "running" ? "Metrics appear when the first epoch finishes." : "This run produced no metrics."}
      </Text>
    );
  }
  return (
    <Stack gap="xs">
      {test.length === 0 && (
        <Text size="xs" c="dimmed">
          Latest epoch (final test metrics come after training)
        </Text>
      )}
      <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm">
        {shown.map((name) => (
          <Paper key={name} withBorder radius="md" p="sm">
            <Text size="xs" c="dimmed" fw={500}>
              {metricLabel(name)}
            </Text>
            <Text fz={22} fw={700} lh={1.3}>
              {formatMetric(name, run.metrics[name])}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

function Results({ run }: { run: Run }) {
  const registered = run.steps.find((s) => s.name === "register" && s.status === "succeeded");
  return (
    <Stack gap="md">
      <MetricCards run={run} />
      {(run.model_id || run.deployment_id) && (
        <Stack gap="xs">
          {run.model_id && (
            <Group gap="sm" wrap="nowrap" align="center">
              <IconBox size={20} aria-hidden style={{ flexShrink: 0 }} />
              <Text size="sm" style={{ flex: 1 }}>
                Registered{registered?.detail ? ` as ${registered.detail}` : ""}.
              </Text>
              <Button component={Link} to={`/models/${encodeURIComponent(run.model_name)}`} variant="light" size="xs">
                Open in registry
              </Button>
            </Group>
          )}
          {run.deployment_id && (
            <Group gap="sm" wrap="nowrap" align="center">
              <IconRocket size={20} aria-hidden style={{ flexShrink: 0 }} />
              <Text size="sm" style={{ flex: 1 }}>
                Deployed.
              </Text>
              <Button component={Link} to={`/deployments/${encodeURIComponent(run.deployment_id)}`} variant="light" size="xs">
                Open deployment
              </Button>
            </Group>
          )}
        </Stack>
      )}
    </Stack>
  );
}

function Details({ run }: { run: Run }) {
  const rows: { label: string; value: ReactNode }[] = [
    { label: "Job id", value: <Mono>{run.job_id}</Mono> },
    { label: "Started by", value: run.created_by },
    { label: "Asked for", value: formatDate(run.created_at) },
    { label: "Training started", value: formatDate(run.start_time) },
    { label: "Ended", value: formatDate(run.end_time) },
    { label: "Duration", value: formatDuration(runSeconds(run)) },
    { label: "Runtime", value: run.runtime },
  ];
  if (run.artifact_uri) rows.push({ label: "Artifacts", value: <Mono>{run.artifact_uri}</Mono> });
  if (run.dataset) {
    const { sha256, column_names: _columns, files: _files, ...rest } = run.dataset;
    for (const row of flatten(rest).filter((r) => r.value !== "—")) rows.push({ label: `Data › ${row.label}`, value: row.value });
    if (typeof sha256 === "string") rows.push({ label: "Data fingerprint (SHA-256)", value: <Mono>{sha256}</Mono> });
  }
  return (
    <Table variant="vertical" layout="fixed" fz="sm" verticalSpacing={6}>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={row.label}>
            <Table.Th scope="row" w={{ base: "40%", sm: 240 }} fw={500}>
              {row.label}
            </Table.Th>
            <Table.Td style={{ overflowWrap: "anywhere" }}>{row.value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function RunPage({ run }: { run: Run }) {
  const canEdit = useCan("editor");
  const types = useModelTypes();
  const active = run.status === "queued" || run.status === "running";
  const type = types.data?.find((t) => t.name === run.model_type);
  return (
    <Stack gap="lg">
      <PageHeader
        title={run.model_name}
        description={
          <>
            {modelTypeTitle(types.data, run.model_type)} · run <Code fz="sm">{shortId(run.job_id)}</Code>{" "}
            <CopyButton value={run.job_id}>
              {({ copied, copy }) => (
                <Tooltip label={copied ? "Copied" : "Copy the full job id"} withArrow>
                  <ActionIcon variant="subtle" color="gray" size="sm" onClick={copy} aria-label="Copy job id">
                    {copied ? <IconCheck size={14} aria-hidden /> : <IconCopy size={14} aria-hidden />}
                  </ActionIcon>
                </Tooltip>
              )}
            </CopyButton>{" "}
            · started by {run.created_by}, {formatDate(run.created_at)}
          </>
        }
        actions={
          <>
            <StatusBadge status={run.status} size="lg" />
            {canEdit && active && <CancelRun jobId={run.job_id} modelName={run.model_name} queued={run.status === "queued"} />}
            {canEdit && !active && (
              <Button component={Link} to={`/workflows/new?from=${encodeURIComponent(run.job_id)}`} variant="default" leftSection={<IconRefresh size={18} aria-hidden />}>
                Run again
              </Button>
            )}
          </>
        }
      />
      <Outcome run={run} />
      <Section title="Progress">
        <RunProgress run={run} />
      </Section>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Section title="Steps">
          <StepTimeline steps={run.steps} />
        </Section>
        <Section title="Results">
          <Results run={run} />
        </Section>
      </SimpleGrid>
      <Section title="Training metrics">
        <EpochChart epochs={run.epochs} total={totalEpochs(run)} ended={!active} />
        <EpochTable epochs={run.epochs} />
      </Section>
      <Section title="Log">
        <LogView jobId={run.job_id} />
      </Section>
      <Section title="Parameters">
        <ParamsView params={run.workflow_params} schema={type?.training_schema} />
      </Section>
      <Section title="Details">
        <Details run={run} />
      </Section>
    </Stack>
  );
}

/** One run, live: progress, steps, epoch metrics, log, parameters and outcome. */
export function RunDetail() {
  const { jobId = "" } = useParams();
  const run = useQuery({
    queryKey: keys.run(jobId),
    queryFn: () => unwrap(api.GET("/api/workflows/runs/{job_id}", { params: { path: { job_id: jobId } } })),
  });
  return (
    <>
      <Anchor component={Link} to="/runs" size="sm" mb="xs" display="inline-flex" style={{ alignItems: "center", gap: 4 }}>
        <IconArrowLeft size={14} aria-hidden /> All runs
      </Anchor>
      {run.data ? (
        <RunPage run={run.data} />
      ) : (
        <>
          <PageHeader title={`Run ${shortId(jobId)}`} />
          <QueryState query={run} label="the run">
            {() => null}
          </QueryState>
        </>
      )}
    </>
  );
}
