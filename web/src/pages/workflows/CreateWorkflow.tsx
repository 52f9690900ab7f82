import {
  Accordion,
  Alert,
  Badge,
  Button,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { IconAlertTriangle, IconCopy, IconPlayerPlay } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { useNavigate, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError, describe } from "../../api/problem";
import { PageHeader, QueryState } from "../../components/Page";
import { shortId } from "../../components/format";
import { notifySuccess } from "../../components/notify";
import { DataSourceFields } from "./DataSourceFields";
import { useModelTypes, type ModelType } from "./modelTypes";
import { PlanSummary } from "./PlanSummary";
import {
  ADVANCED_PATHS,
  buildRequest,
  draftForType,
  draftFromParams,
  emptyDraft,
  formPaths,
  P,
  placeErrors,
  type Draft,
  type ExecuteRequest,
} from "./request";
import { ResourceFields } from "./ResourceFields";
import { LabelledSwitch, SchemaForm } from "./SchemaForm";
import { fieldId, humanize } from "./schema";

type Errors = Record<string, string | undefined>;

function Section({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" p={{ base: "md", sm: "lg" }}>
      <Stack gap="md">
        <div>
          <Title order={2} fz="lg">
            {title}
          </Title>
          {description && (
            <Text size="sm" c="dimmed" mt={4}>
              {description}
            </Text>
          )}
        </div>
        {children}
      </Stack>
    </Paper>
  );
}

function TypeOption({ type }: { type: ModelType }) {
  return (
    <Stack gap={2} py={2}>
      <Text size="sm" fw={600}>
        {type.title}
      </Text>
      <Text size="xs" c="dimmed" lineClamp={2}>
        {type.description}
      </Text>
    </Stack>
  );
}

/** New workflow: pick a model type, adjust its training form (drawn from the type's schema), run. */
export function CreateWorkflow() {
  const types = useModelTypes();
  const [search] = useSearchParams();
  const from = search.get("from");
  const source = useQuery({
    queryKey: keys.run(from ?? ""),
    queryFn: () => unwrap(api.GET("/api/workflows/runs/{job_id}", { params: { path: { job_id: from ?? "" } } })),
    enabled: from !== null,
  });
  const pending = from !== null && source.isPending;
  return (
    <>
      <PageHeader
        title="New workflow"
        description="Train a model, check it against a quality gate, register it and, if you like, deploy it — in one run."
      />
      <QueryState query={types} label="model types">
        {() =>
          pending ? null : (
            <WorkflowForm
              types={types.data ?? []}
              wanted={search.get("type")}
              from={from && source.data ? { jobId: from, params: source.data.workflow_params } : null}
            />
          )
        }
      </QueryState>
    </>
  );
}

interface Previous {
  jobId: string;
  params: Record<string, unknown>;
}

function initialDraft(types: ModelType[], wanted: string | null, from: Previous | null): Draft {
  const previous = from && types.find((t) => t.name === from.params.model_type);
  if (from && previous) return draftFromParams(from.params, previous);
  const type = types.find((t) => t.name === wanted) ?? types[0];
  return type ? draftForType(emptyDraft(), type) : emptyDraft();
}

function WorkflowForm({ types, wanted, from }: { types: ModelType[]; wanted: string | null; from: Previous | null }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => initialDraft(types, wanted, from));
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [advanced, setAdvanced] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ path: string } | null>(null);
  const type = types.find((t) => t.name === draft.modelType);

  // After the errors render (and Advanced opens), bring the first one into view.
  useEffect(() => {
    if (!focus) return;
    const frame = requestAnimationFrame(() => {
      const element = document.getElementById(fieldId(focus.path));
      element?.scrollIntoView({ block: "center", behavior: "smooth" });
      element?.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [focus]);

  const update = (patch: Partial<Draft>, ...paths: string[]) => {
    setDraft((current) => ({ ...current, ...patch }));
    if (paths.some((path) => errors[path])) {
      setErrors((current) => {
        const next = { ...current };
        paths.forEach((path) => delete next[path]);
        return next;
      });
    }
  };

  const showErrors = (fields: Errors) => {
    setErrors(fields);
    const first = formPaths(type, draft).find((path) => fields[path]);
    if (!first) return;
    if (ADVANCED_PATHS.some((path) => fields[path])) setAdvanced("advanced");
    setFocus({ path: first });
  };

  const run = useMutation({
    mutationFn: (body: ExecuteRequest) => unwrap(api.POST("/api/mlops/execute_workflow", { body })),
    onSuccess: (started) => {
      void client.invalidateQueries({ queryKey: ["runs"] });
      if (started.job_id) {
        const where = started.queue_position && started.queue_position > 1 ? ` (position ${started.queue_position} in the queue)` : "";
        notifySuccess(`Run ${shortId(started.job_id)} started${where}.`, "Workflow started");
        navigate(`/runs/${started.job_id}`);
      } else {
        notifySuccess("The platform accepted the run; it appears in the list in a moment.", "Workflow accepted");
        navigate("/runs");
      }
    },
    onError: (error) => {
      if (error instanceof ApiError && error.errors.length > 0) {
        const placed = placeErrors(error.errors, formPaths(type, draft));
        showErrors(placed.fields);
        setFormError(
          placed.rest.length > 0
            ? placed.rest.map((e) => e.message).join(" ")
            : "Fix the highlighted field, then run again.",
        );
        return;
      }
      setFormError(describe(error));
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    if (!type) {
      showErrors({ [`${P}.model_type`]: "Choose a model type." });
      return;
    }
    setErrors({});
    run.mutate(buildRequest(draft, type));
  };

  const chooseType = (name: string | null) => {
    const next = types.find((t) => t.name === name);
    if (!next) return;
    setDraft((current) => draftForType(current, next));
    setErrors({});
    setFormError(null);
  };

  const gateMetrics = (type?.metrics ?? [])
    .filter((m) => m.goal === "maximize")
    .map((m) => ({ value: m.name, label: humanize(m.name) }));
  const typeByName = new Map(types.map((t) => [t.name, t]));

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="lg" maw={960}>
        {from && (
          <Alert color="blue" variant="light" icon={<IconCopy size={18} aria-hidden />}>
            Settings copied from run {shortId(from.jobId)}. Change what you like, then run.
          </Alert>
        )}
        <Section title="Model" description="What to train, and the name it gets in the registry.">
          <Select
            id={fieldId(`${P}.model_type`)}
            label="Model type"
            placeholder="Choose what to train"
            data={types.map((t) => ({ value: t.name, label: t.title }))}
            value={draft.modelType}
            onChange={chooseType}
            allowDeselect={false}
            error={errors[`${P}.model_type`]}
            renderOption={({ option }) => {
              const option_type = typeByName.get(option.value);
              return option_type ? <TypeOption type={option_type} /> : option.label;
            }}
            maxDropdownHeight={360}
          />
          {type && (
            <Stack gap={6}>
              <Text size="sm">{type.description}</Text>
              <Group gap="xs">
                {type.framework && (
                  <Badge variant="light" color="gray" radius="sm">
                    {type.framework}
                  </Badge>
                )}
                {type.task && (
                  <Badge variant="light" color="gray" radius="sm">
                    {humanize(type.task)}
                  </Badge>
                )}
                {type.primary_metric && (
                  <Badge variant="light" color="indigo" radius="sm">
                    judged by {humanize(type.primary_metric).toLowerCase()}
                  </Badge>
                )}
              </Group>
            </Stack>
          )}
          <TextInput
            id={fieldId(`${P}.model_name`)}
            label="Model name"
            description={`Optional. The registry keeps each run as a new version of this model. Empty means "${type?.name ?? "the model type"}".`}
            placeholder={type?.name ?? "my-model"}
            value={draft.modelName}
            onChange={(event) => update({ modelName: event.currentTarget.value }, `${P}.model_name`)}
            error={errors[`${P}.model_name`]}
            maxLength={100}
          />
        </Section>

        {type && (
          <Section title="Training" description="The defaults suit a first run. Each setting says what it does and which values it takes.">
            <SchemaForm
              schema={type.training_schema}
              value={draft.training}
              path={`${P}.training`}
              errors={errors}
              onChange={(training, path) => update({ training }, path)}
            />
          </Section>
        )}

        <Section title="Data" description="What to learn from. The sample data needs no setup.">
          <DataSourceFields draft={draft} type={type} errors={errors} update={update} />
        </Section>

        <Section
          title="Quality gate"
          description="Register (and deploy) the model only when it is good enough; a run below the minimum fails at the evaluate step."
        >
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <Select
              id={fieldId(`${P}.evaluation.metric`)}
              label="Metric to check"
              description="Measured on held-out test data after training."
              data={gateMetrics}
              value={draft.gateMetric}
              onChange={(value) => update({ gateMetric: value }, `${P}.evaluation.metric`)}
              allowDeselect={false}
              error={errors[`${P}.evaluation.metric`]}
            />
            <NumberInput
              id={fieldId(`${P}.evaluation.minimum`)}
              label="Minimum value"
              description="Empty means no minimum: every finished run is registered."
              placeholder="No minimum"
              value={draft.gateMinimum}
              onChange={(value) => update({ gateMinimum: value }, `${P}.evaluation.minimum`)}
              step={0.01}
              decimalScale={4}
              clampBehavior="none"
              error={errors[`${P}.evaluation.minimum`]}
            />
          </SimpleGrid>
        </Section>

        <Section title="Deployment" description="Serve the new version at an HTTP endpoint as soon as it passes the gate.">
          <LabelledSwitch
            id={fieldId(`${P}.deployment.deploy_if_trained_success`)}
            label="Deploy if training succeeds"
            description="Off: the model is registered and you deploy it later from the registry."
            checked={draft.deploy}
            onChange={(deploy) => update({ deploy }, `${P}.deployment.deploy_if_trained_success`)}
            error={errors[`${P}.deployment.deploy_if_trained_success`]}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <NumberInput
              id={fieldId(`${P}.deployment.replicas`)}
              label="Replicas"
              description="Copies of the model server sharing the traffic. 1 to 50."
              value={draft.replicas}
              onChange={(value) => update({ replicas: value }, `${P}.deployment.replicas`)}
              min={1}
              max={50}
              allowDecimal={false}
              clampBehavior="none"
              error={errors[`${P}.deployment.replicas`]}
            />
          </SimpleGrid>
          <ResourceFields
            path={`${P}.deployment`}
            requests={draft.deployRequests}
            limits={draft.deployLimits}
            labels={{
              cpuRequest: "CPU per replica (request)",
              memoryRequest: "Memory per replica (request)",
              cpuLimit: "CPU per replica (limit)",
              memoryLimit: "Memory per replica (limit)",
            }}
            errors={errors}
            onChange={(deployRequests, deployLimits, path) => update({ deployRequests, deployLimits }, path)}
          />
        </Section>

        <Accordion variant="separated" radius="md" value={advanced} onChange={setAdvanced} transitionDuration={150}>
          <Accordion.Item value="advanced">
            <Accordion.Control>
              <Text fw={600}>Advanced: namespace, seed and resources</Text>
            </Accordion.Control>
            <Accordion.Panel>
              <Stack gap="md">
                <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
                  <TextInput
                    id={fieldId(`${P}.training.namespace`)}
                    label="Namespace"
                    description="Kubernetes namespace of the trainer and of the deployment (lowercase letters, digits, '-')."
                    value={draft.namespace}
                    onChange={(event) => update({ namespace: event.currentTarget.value }, `${P}.training.namespace`)}
                    error={errors[`${P}.training.namespace`]}
                  />
                  <NumberInput
                    id={fieldId(`${P}.training.seed`)}
                    label="Seed"
                    description="The same seed and data give the same model."
                    value={draft.seed}
                    onChange={(value) => update({ seed: value }, `${P}.training.seed`)}
                    min={0}
                    allowDecimal={false}
                    allowNegative={false}
                    clampBehavior="none"
                    error={errors[`${P}.training.seed`]}
                  />
                </SimpleGrid>
                <Text size="sm" c="dimmed">
                  Resources of the trainer. The defaults come from the model type.
                </Text>
                <ResourceFields
                  path={`${P}.training`}
                  requests={draft.requests}
                  limits={draft.limits}
                  labels={{ cpuRequest: "CPU request", memoryRequest: "Memory request", cpuLimit: "CPU limit", memoryLimit: "Memory limit" }}
                  placeholders={{
                    requests: { cpu: type?.default_resources.requests?.cpu ?? "", memory: type?.default_resources.requests?.memory ?? "" },
                    limits: { cpu: type?.default_resources.limits?.cpu ?? "", memory: type?.default_resources.limits?.memory ?? "" },
                  }}
                  errors={errors}
                  limitHelp="Cores ('2', '0.5') or millicores ('500m'); also how many threads the trainer uses."
                  onChange={(requests, limits, path) => update({ requests, limits }, path)}
                />
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>

        <Paper withBorder radius="md" p={{ base: "md", sm: "lg" }}>
          <Stack gap="md">
            <Title order={2} fz="lg">
              Review and run
            </Title>
            <PlanSummary draft={draft} type={type} />
            {formError && (
              <Alert color="red" icon={<IconAlertTriangle size={18} aria-hidden />} title="The run did not start" role="alert">
                {formError}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button type="submit" size="md" loading={run.isPending} leftSection={<IconPlayerPlay size={18} aria-hidden />}>
                Run now
              </Button>
            </Group>
          </Stack>
        </Paper>
      </Stack>
    </form>
  );
}
