import {
  Anchor,
  Button,
  Group,
  MultiSelect,
  Pagination,
  Paper,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Tooltip,
} from "@mantine/core";
import { IconListDetails, IconPlayerPlay } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import type { components } from "../../api/schema";
import { useCan } from "../../auth/AuthProvider";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, formatDuration, shortId } from "../../components/format";
import { modelTypeTitle, useModelTypes, type ModelType } from "../workflows/modelTypes";
import { runSeconds } from "./runFormat";

type RunSummary = components["schemas"]["RunSummary"];
type RunStatus = RunSummary["status"];

const STATUSES: RunStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];
const PAGE_SIZE = 20;

function isStatus(value: string): value is RunStatus {
  return (STATUSES as string[]).includes(value);
}

function NewWorkflowButton() {
  return (
    <Button component={Link} to="/workflows/new" leftSection={<IconPlayerPlay size={18} aria-hidden />}>
      New workflow
    </Button>
  );
}

function StatusCell({ run }: { run: RunSummary }) {
  const percent = Math.round((run.progress ?? 0) * 100);
  return (
    <Stack gap={4}>
      <Group gap="xs" wrap="nowrap">
        <StatusBadge status={run.status} />
        {run.status === "queued" && run.queue_position ? (
          <Text size="xs" c="dimmed">
            #{run.queue_position} in queue
          </Text>
        ) : null}
      </Group>
      {run.status === "running" && (
        <Group gap="xs" wrap="nowrap">
          <Progress value={percent} size="sm" w={90} animated aria-label={`Progress of run ${shortId(run.job_id)}`} />
          <Text size="xs" c="dimmed">
            {percent} %
          </Text>
        </Group>
      )}
      {run.status === "failed" && run.error && (
        <Tooltip label={run.error} multiline w={320} withArrow>
          <Text size="xs" c="dimmed" lineClamp={1} maw={220}>
            {run.error}
          </Text>
        </Tooltip>
      )}
    </Stack>
  );
}

function RunsTable({ runs, types }: { runs: RunSummary[]; types: ModelType[] | undefined }) {
  return (
    <Table.ScrollContainer minWidth={920}>
      <Table highlightOnHover verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Job id</Table.Th>
            <Table.Th>Model type</Table.Th>
            <Table.Th>Model name</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Started</Table.Th>
            <Table.Th>Ended</Table.Th>
            <Table.Th>Duration</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.map((run) => (
            <Table.Tr key={run.job_id}>
              <Table.Td>
                <Anchor component={Link} to={`/runs/${run.job_id}`} ff="monospace" fw={600} aria-label={`Run ${shortId(run.job_id)}`}>
                  {shortId(run.job_id)}
                </Anchor>
              </Table.Td>
              <Table.Td>{modelTypeTitle(types, run.model_type)}</Table.Td>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {run.model_name}
                </Text>
              </Table.Td>
              <Table.Td>
                <StatusCell run={run} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{run.start_time ? formatDate(run.start_time) : "Not started"}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDate(run.end_time)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatDuration(runSeconds(run))}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Every training run, newest first, live: filters by status and model type, paged. */
export function Runs() {
  const canEdit = useCan("editor");
  const types = useModelTypes();
  const [search, setSearch] = useSearchParams();
  const statuses = search.getAll("status").filter(isStatus);
  const modelType = search.get("type");
  const page = Math.max(1, Number(search.get("page")) || 1);
  const filters = { status: statuses, model_type: modelType, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE };
  const filtered = statuses.length > 0 || modelType !== null;

  const runs = useQuery({
    queryKey: keys.runs(filters),
    queryFn: () =>
      unwrap(
        api.GET("/api/workflows/runs", {
          params: {
            query: {
              status: statuses.length > 0 ? statuses : undefined,
              model_type: modelType ?? undefined,
              limit: PAGE_SIZE,
              offset: filters.offset,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const change = (patch: { status?: string[]; type?: string | null; page?: number }) => {
    const next = new URLSearchParams(search);
    if (patch.status !== undefined) {
      next.delete("status");
      patch.status.forEach((s) => next.append("status", s));
    }
    if (patch.type !== undefined) {
      if (patch.type) next.set("type", patch.type);
      else next.delete("type");
    }
    if (patch.page && patch.page > 1) next.set("page", String(patch.page));
    else next.delete("page");
    setSearch(next, { replace: true });
  };

  const total = runs.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, page * PAGE_SIZE);

  return (
    <>
      <PageHeader
        title="Runs"
        description="Every training workflow: queued, running and finished. Open one to follow it live."
        actions={canEdit ? <NewWorkflowButton /> : undefined}
      />
      <Paper withBorder radius="md" p={{ base: "sm", sm: "md" }}>
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" maw={720}>
            <MultiSelect
              label="Status"
              placeholder={statuses.length ? undefined : "Any status"}
              data={STATUSES.map((s) => ({ value: s, label: s.charAt(0).toUpperCase() + s.slice(1) }))}
              value={statuses}
              onChange={(value) => change({ status: value })}
              clearable
            />
            <Select
              label="Model type"
              placeholder="Any model type"
              data={(types.data ?? []).map((t) => ({ value: t.name, label: t.title }))}
              value={modelType}
              onChange={(value) => change({ type: value })}
              clearable
            />
          </SimpleGrid>
          <QueryState query={runs} label="runs">
            {() => {
              const items = runs.data?.items ?? [];
              if (items.length === 0 && !filtered && page === 1) {
                return (
                  <Empty
                    icon={<IconListDetails size={40} stroke={1.5} aria-hidden />}
                    title="No runs yet"
                    action={canEdit ? <NewWorkflowButton /> : undefined}
                  >
                    {canEdit
                      ? "A run trains a model, checks it and registers it. Start one from New workflow — the sample data needs no setup."
                      : "Runs appear here when an editor starts a training workflow."}
                  </Empty>
                );
              }
              if (items.length === 0) {
                return (
                  <Empty title="No runs match these filters" action={<Button variant="light" onClick={() => setSearch(new URLSearchParams(), { replace: true })}>Clear filters</Button>}>
                    Change or clear the filters to see more runs.
                  </Empty>
                );
              }
              return (
                <Stack gap="sm">
                  <RunsTable runs={items} types={types.data} />
                  <Group justify="space-between" gap="sm">
                    <Text size="sm" c="dimmed">
                      {first}–{last} of {total} run{total === 1 ? "" : "s"}
                    </Text>
                    {pages > 1 && (
                      <Pagination
                        total={pages}
                        value={page}
                        onChange={(value) => change({ page: value })}
                        size="sm"
                        getControlProps={(control) => ({
                          "aria-label": control === "previous" ? "Previous page" : control === "next" ? "Next page" : control,
                        })}
                        getItemProps={(value) => ({ "aria-label": `Page ${value}` })}
                      />
                    )}
                  </Group>
                </Stack>
              );
            }}
          </QueryState>
        </Stack>
      </Paper>
    </>
  );
}
