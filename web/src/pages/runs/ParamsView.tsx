import { Code, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";

import { humanize, type JsonSchema } from "../workflows/schema";

type Rows = { label: string; value: string }[];

const LABELS: Record<string, string> = {
  resource_requests: "Requests",
  resource_limits: "Limits",
  cpu: "CPU",
  deploy_if_trained_success: "Deploy if training succeeds",
  data_source: "Source",
  rev: "Revision",
  repo: "Repository",
};

function label(key: string): string {
  return LABELS[key] ?? humanize(key);
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "—";
  if (typeof value === "number") return value.toLocaleString(undefined, { maximumFractionDigits: 8 });
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Nested settings as rows: {"resource_limits": {"cpu": "2"}} → "Limits › CPU: 2". */
export function flatten(value: Record<string, unknown>, skip: string[] = [], prefix = "", titles: Record<string, string> = {}): Rows {
  const rows: Rows = [];
  for (const [key, inner] of Object.entries(value)) {
    if (skip.includes(key)) continue;
    const own = titles[key] ?? label(key);
    const name = prefix ? `${prefix} › ${own}` : own;
    if (isRecord(inner)) rows.push(...flatten(inner, [], name));
    else rows.push({ label: name, value: show(inner) });
  }
  return rows;
}

function Block({ title, rows }: { title: string; rows: Rows }) {
  return (
    <Paper withBorder radius="md" p="md">
      <Stack gap="xs">
        <Title order={3} fz="sm">
          {title}
        </Title>
        {rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing set.
          </Text>
        ) : (
          <Table variant="vertical" layout="fixed" fz="sm" verticalSpacing={4} withRowBorders={false}>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.label}>
                  <Table.Th scope="row" w="45%" fw={500} bg="transparent">
                    {row.label}
                  </Table.Th>
                  <Table.Td style={{ overflowWrap: "anywhere" }}>{row.value}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Paper>
  );
}

/** The run's parameters (defaults filled in), grouped as in the form that started it. */
function titlesOf(schema: JsonSchema | undefined): Record<string, string> {
  const titles: Record<string, string> = {};
  for (const [key, child] of Object.entries(schema?.properties ?? {})) if (child.title) titles[key] = child.title;
  return titles;
}

export function ParamsView({ params, schema }: { params: Record<string, unknown>; schema?: JsonSchema }) {
  const training = isRecord(params.training) ? params.training : {};
  const data = isRecord(params.data) ? params.data : null;
  const blocks: { title: string; rows: Rows }[] = [
    {
      title: "Model",
      rows: [
        { label: "Model type", value: show(params.model_type) },
        { label: "Model name", value: show(params.model_name) },
      ],
    },
    { title: "Training", rows: flatten(training, ["params"], "", titlesOf(schema)) },
    {
      title: "Model parameters",
      rows: isRecord(training.params) ? flatten(training.params, [], "", titlesOf(schema?.properties?.params)) : [],
    },
    {
      title: "Data",
      rows: data ? flatten(data).filter((row) => row.value !== "—") : [{ label: "Source", value: "The model type's sample data" }],
    },
    { title: "Quality gate", rows: isRecord(params.evaluation) ? flatten(params.evaluation) : [] },
    { title: "Deployment", rows: isRecord(params.deployment) ? flatten(params.deployment) : [] },
  ];
  return (
    <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }} spacing="md">
      {blocks.map((block) => (
        <Block key={block.title} title={block.title} rows={block.rows} />
      ))}
    </SimpleGrid>
  );
}

/** A value shown as code that wraps on narrow screens (ids, paths, hashes). */
export function Mono({ children }: { children: string }) {
  return <Code style={{ overflowWrap: "anywhere", whiteSpace: "normal" }}>{children}</Code>;
}
