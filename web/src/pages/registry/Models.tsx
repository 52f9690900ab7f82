import {
  Anchor,
  Button,
  Card,
  Group,
  MultiSelect,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconBox, IconCircleCheck, IconPlayerPlay, IconSearch, IconTag } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { useCan } from "../../auth/AuthProvider";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, timeAgo } from "../../components/format";
import {
  formatMetric,
  keyMetrics,
  metricLabel,
  type ModelFilters,
  type ModelSummary,
  type ModelType,
  STATUSES,
  useModels,
  useModelTypes,
  useVersionList,
  type VersionFilters,
  type VersionSort,
  type VersionStatus,
  type VersionView,
} from "./data";
import { Pager } from "./Pager";
import { Tag } from "./Tag";

const PAGE_SIZE = 25;

const MODEL_SORTS = [
  { value: "-updated_at", label: "Recently changed" },
  { value: "updated_at", label: "Least recently changed" },
  { value: "name", label: "Name (A–Z)" },
];

const VERSION_SORTS = [
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "-metric", label: "Best test accuracy" },
  { value: "metric", label: "Lowest test accuracy" },
  { value: "name", label: "Name (A–Z)" },
  { value: "-version", label: "Highest version" },
];

type View = "models" | "versions";

function primaryOf(types: ModelType[] | undefined, modelType: string): string {
  return types?.find((t) => t.name === modelType)?.primary_metric ?? "test_accuracy";
}

function MetricList({ metrics, primary }: { metrics: Record<string, number>; primary: string }) {
  const shown = keyMetrics(metrics, primary);
  if (shown.length === 0) return <Text size="sm" c="dimmed">No metrics</Text>;
  return (
    <Stack gap={0} style={{ whiteSpace: "nowrap" }}>
      {shown.map(([name, value]) => (
        <Text size="sm" key={name}>
          <Text span c="dimmed" size="sm">{metricLabel(name)}:</Text> <Text span fw={600} size="sm">{formatMetric(name, value)}</Text>
        </Text>
      ))}
    </Stack>
  );
}

function When({ at }: { at: string }) {
  return (
    <Tooltip label={formatDate(at)}>
      <Text size="sm" component="span" title={formatDate(at)}>
        {timeAgo(at)}
      </Text>
    </Tooltip>
  );
}

function ModelsTable({ items, types }: { items: ModelSummary[]; types: ModelType[] | undefined }) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Latest version</Table.Th>
            <Table.Th>Production version</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Key metrics</Table.Th>
            <Table.Th>Registered at</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((model) => (
            <Table.Tr key={model.name}>
              <Table.Td>
                <Stack gap={2}>
                  <Anchor component={Link} to={`/models/${encodeURIComponent(model.name)}`} fw={600} style={{ whiteSpace: "nowrap" }}>
                    {model.name}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {types?.find((t) => t.name === model.model_type)?.title ?? model.model_type}
                  </Text>
                  {Object.keys(model.aliases).length > 0 && (
                    <Group gap={4}>
                      {Object.entries(model.aliases).map(([alias, version]) => (
                        <Tag key={alias} size="xs" icon={<IconTag size={10} aria-hidden />}>
                          {alias} → v{version}
                        </Tag>
                      ))}
                    </Group>
                  )}
                </Stack>
              </Table.Td>
              <Table.Td>v{model.latest_version}</Table.Td>
              <Table.Td>
                {model.production_version ? (
                  <Tag icon={<IconCircleCheck size={12} color="var(--mantine-color-green-6)" aria-hidden />}>v{model.production_version}</Tag>
                ) : (
                  <Text size="sm" c="dimmed">None yet</Text>
                )}
              </Table.Td>
              <Table.Td>
                <StatusBadge status={model.production_version ? "production" : model.status} />
              </Table.Td>
              <Table.Td>
                <MetricList metrics={model.metrics} primary={primaryOf(types, model.model_type)} />
              </Table.Td>
              <Table.Td>
                <When at={model.registered_at} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function VersionsTable({ items, types }: { items: VersionView[]; types: ModelType[] | undefined }) {
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Model</Table.Th>
            <Table.Th>Version</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Key metrics</Table.Th>
            <Table.Th>Registered at</Table.Th>
            <Table.Th>Registered by</Table.Th>
            <Table.Th>Run</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((version) => (
            <Table.Tr key={version.model_id}>
              <Table.Td>
                <Anchor component={Link} to={`/models/${encodeURIComponent(version.model_name)}`} fw={600}>
                  {version.model_name}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <Text size="sm">v{version.version}</Text>
                  {version.aliases.map((alias) => (
                    <Tag key={alias} size="xs" icon={<IconTag size={10} aria-hidden />}>{alias}</Tag>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <StatusBadge status={version.status} />
              </Table.Td>
              <Table.Td>
                <MetricList metrics={version.metrics} primary={primaryOf(types, version.model_type)} />
              </Table.Td>
              <Table.Td>
                <When at={version.registered_at} />
              </Table.Td>
              <Table.Td>{version.registered_by}</Table.Td>
              <Table.Td>
                {version.job_id ? (
                  <Anchor component={Link} to={`/runs/${version.job_id}`} size="sm" aria-label={`Open run of ${version.model_name} version ${version.version}`}>
                    Open run
                  </Anchor>
                ) : (
                  <Text size="sm" c="dimmed">Uploaded</Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function NewWorkflowButton() {
  const canEdit = useCan("editor");
  if (!canEdit) return null;
  return (
    <Button component={Link} to="/workflows/new" leftSection={<IconPlayerPlay size={16} aria-hidden />}>
      New workflow
    </Button>
  );
}

function NothingYet() {
  const canEdit = useCan("editor");
  return (
    <Empty icon={<IconBox size={40} stroke={1.5} aria-hidden />} title="No models registered yet" action={<NewWorkflowButton />}>
      A model appears here as soon as a training run succeeds: each successful run registers a new version of its
      model, with its metrics, parameters and data.{" "}
      {canEdit ? "Start a training run from New workflow." : "Ask an editor to start a training run."}
    </Empty>
  );
}

function NoMatch({ onClear }: { onClear: () => void }) {
  return (
    <Empty icon={<IconSearch size={36} stroke={1.5} aria-hidden />} title="Nothing matches these filters"
      action={<Button variant="light" onClick={onClear}>Clear filters</Button>}>
      Try another name, model type or status.
    </Empty>
  );
}

/** The registry: every model (one row per model) or every version (one row per version). */
export function Models() {
  const [params, setParams] = useSearchParams();
  const view: View = params.get("view") === "versions" ? "versions" : "models";
  const [search, setSearch] = useState(params.get("q") ?? "");
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const modelType = params.get("type") ?? "";
  const statuses = params.getAll("status").filter((s): s is VersionStatus => (STATUSES as string[]).includes(s));
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const sort = params.get("sort") ?? "";
  const types = useModelTypes();

  const update = (changes: Record<string, string | string[] | null>, keepOffset = false) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          next.delete(key);
          if (Array.isArray(value)) value.forEach((item) => next.append(key, item));
          else if (value) next.set(key, value);
        }
        if (!keepOffset) next.delete("offset");
        return next;
      },
      { replace: true },
    );
  };

  useEffect(() => {
    if ((params.get("q") ?? "") !== debounced) update({ q: debounced || null });
    // Only the debounced search text drives the address.
  }, [debounced]);

  const modelSort = (MODEL_SORTS.some((s) => s.value === sort) ? sort : "-updated_at") as ModelFilters["sort"];
  const versionSort = (VERSION_SORTS.some((s) => s.value === sort) ? sort : "-created_at") as VersionSort;
  const modelFilters: ModelFilters = { q: debounced, model_type: modelType, sort: modelSort, limit: PAGE_SIZE, offset };
  const versionFilters: VersionFilters = {
    q: debounced,
    model_type: modelType,
    status: statuses,
    metric: versionSort.endsWith("metric") ? "test_accuracy" : undefined,
    sort: versionSort,
    limit: PAGE_SIZE,
    offset,
  };
  const models = useModels(modelFilters, view === "models");
  const versions = useVersionList(versionFilters, view === "versions");
  const filtered = Boolean(debounced || modelType || (view === "versions" && statuses.length));
  const clear = () => {
    setSearch("");
    update({ q: null, type: null, status: null });
  };

  const typeOptions = (types.data ?? []).map((t) => ({ value: t.name, label: t.title }));

  return (
    <>
      <PageHeader
        title="Model registry"
        description="Every model your training runs produced, with its versions, metrics and where it is deployed. Open a model to deploy, promote or roll it back."
        actions={<NewWorkflowButton />}
      />
      <Card withBorder padding="md" mb="md">
        <Stack gap="sm">
          <Group gap="sm" align="flex-end" wrap="wrap">
            <Stack gap={4}>
              <Text size="sm" fw={500} id="registry-view-label">Show</Text>
              <SegmentedControl
                aria-labelledby="registry-view-label"
                value={view}
                onChange={(value) => update({ view: value === "versions" ? "versions" : null, sort: null })}
                data={[
                  { value: "models", label: "Models" },
                  { value: "versions", label: "All versions" },
                ]}
              />
            </Stack>
            <TextInput
              label="Search models"
              placeholder="Name contains…"
              leftSection={<IconSearch size={16} aria-hidden />}
              value={search}
              onChange={(event) => setSearch(event.currentTarget.value)}
              style={{ flex: "1 1 200px" }}
            />
            <Select
              label="Model type"
              placeholder="All types"
              data={typeOptions}
              value={modelType || null}
              onChange={(value) => update({ type: value })}
              clearable
              style={{ flex: "1 1 180px" }}
            />
            {view === "versions" && (
              <MultiSelect
                label="Status"
                placeholder={statuses.length ? undefined : "Any status"}
                data={STATUSES.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }))}
                value={statuses}
                onChange={(value) => update({ status: value })}
                clearable
                style={{ flex: "1 1 200px" }}
              />
            )}
            <Select
              label="Sort by"
              data={view === "versions" ? VERSION_SORTS : MODEL_SORTS}
              value={view === "versions" ? versionSort : modelSort}
              onChange={(value) => update({ sort: value })}
              allowDeselect={false}
              style={{ flex: "1 1 180px" }}
            />
          </Group>
          {view === "models" && (
            <Text size="xs" c="dimmed">
              To filter by status (for example only production versions), show all versions.
            </Text>
          )}
        </Stack>
      </Card>

      <VisuallyHidden component="h2">{view === "models" ? "Models" : "Versions"}</VisuallyHidden>
      {view === "models" ? (
        <QueryState query={models} label="models">
          {() => {
            const page = models.data;
            if (!page || page.total === 0) return filtered ? <NoMatch onClear={clear} /> : <NothingYet />;
            return (
              <Card withBorder padding={0}>
                <ModelsTable items={page.items} types={types.data} />
                <Card.Section px="md" pb="md" inheritPadding>
                  <Pager total={page.total} limit={PAGE_SIZE} offset={offset} noun="models"
                    onOffset={(next) => update({ offset: next ? String(next) : null }, true)} />
                </Card.Section>
              </Card>
            );
          }}
        </QueryState>
      ) : (
        <QueryState query={versions} label="versions">
          {() => {
            const page = versions.data;
            if (!page || page.total === 0) return filtered ? <NoMatch onClear={clear} /> : <NothingYet />;
            return (
              <Card withBorder padding={0}>
                <VersionsTable items={page.models} types={types.data} />
                <Card.Section px="md" pb="md" inheritPadding>
                  <Pager total={page.total} limit={PAGE_SIZE} offset={offset} noun="versions"
                    onOffset={(next) => update({ offset: next ? String(next) : null }, true)} />
                </Card.Section>
              </Card>
            );
          }}
        </QueryState>
      )}
    </>
  );
}
