import { List, Text, ThemeIcon } from "@mantine/core";

import type { ModelType } from "./modelTypes";
import type { Draft } from "./request";
import { humanize } from "./schema";

function dataWords(draft: Draft, type: ModelType | undefined): string {
  const where = draft.dataPath.trim() || "(path not set yet)";
  switch (draft.dataSource) {
    case "sample":
      return type?.sample_data?.path ? `the sample data (${type.sample_data.path.split("/").pop()})` : "the sample data";
    case "database":
      return draft.databaseMode === "query" ? "the result of your SQL query" : `the database table ${where}`;
    case "dvc":
      return `${where} from the DVC repository`;
    default:
      return where;
  }
}

/** The run in four plain sentences: what trains on what, the gate, the registry, the deployment. */
export function PlanSummary({ draft, type }: { draft: Draft; type: ModelType | undefined }) {
  if (!type) {
    return (
      <Text size="sm" c="dimmed">
        Choose a model type to see what the run will do.
      </Text>
    );
  }
  const epochs = draft.training.epochs;
  const epochWords = typeof epochs === "number" ? `${epochs} epoch${epochs === 1 ? "" : "s"}` : "its default epochs";
  const name = draft.modelName.trim() || type.name;
  const minimum = typeof draft.gateMinimum === "number" ? draft.gateMinimum : Number(draft.gateMinimum || NaN);
  const metric = humanize(draft.gateMetric ?? type.primary_metric ?? "the primary metric").toLowerCase();
  const replicas = typeof draft.replicas === "number" ? draft.replicas : Number(draft.replicas) || 1;
  const steps = [
    `Train ${type.title} for ${epochWords} on ${dataWords(draft, type)}.`,
    Number.isFinite(minimum) ? `Evaluate: continue only if ${metric} is at least ${minimum}.` : `Evaluate: measure ${metric} (no minimum).`,
    `Register the model as a new version of "${name}".`,
    draft.deploy
      ? `Deploy it with ${replicas} replica${replicas === 1 ? "" : "s"}.`
      : "Not deployed: turn on \"Deploy if training succeeds\" to serve it right away.",
  ];
  return (
    <List
      spacing="xs"
      size="sm"
      center
      type="ordered"
      listStyleType="none"
      aria-label="What this run will do"
    >
      {steps.map((step, index) => (
        <List.Item
          key={step}
          icon={
            <ThemeIcon size={22} radius="xl" variant="light" aria-hidden>
              <Text size="xs" fw={700} component="span">
                {index + 1}
              </Text>
            </ThemeIcon>
          }
        >
          {step}
        </List.Item>
      ))}
    </List>
  );
}
