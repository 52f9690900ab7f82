import { SimpleGrid, TextInput } from "@mantine/core";

import type { ResourceDraft } from "./request";
import { fieldId } from "./schema";

interface Props {
  /** Request path of the section, e.g. "workflow_params.training". */
  path: string;
  requests: ResourceDraft;
  limits: ResourceDraft;
  labels: { cpuRequest: string; memoryRequest: string; cpuLimit: string; memoryLimit: string };
  placeholders?: { requests?: ResourceDraft; limits?: ResourceDraft };
  errors: Record<string, string | undefined>;
  /** Help under the CPU limit, when it means more than a limit (the trainer's threads). */
  limitHelp?: string;
  onChange: (requests: ResourceDraft, limits: ResourceDraft, path: string) => void;
}

const CPU_HELP = "Cores ('2', '0.5') or millicores ('500m').";
const MEMORY_HELP = "With a unit: '512Mi', '2Gi', '1G'.";

/** CPU and memory requests and limits, as Kubernetes quantities. */
export function ResourceFields({ path, requests, limits, labels, placeholders, errors, limitHelp, onChange }: Props) {
  const fields = [
    { key: "cpu", kind: "resource_requests", label: labels.cpuRequest, help: CPU_HELP },
    { key: "memory", kind: "resource_requests", label: labels.memoryRequest, help: MEMORY_HELP },
    { key: "cpu", kind: "resource_limits", label: labels.cpuLimit, help: limitHelp ?? CPU_HELP },
    { key: "memory", kind: "resource_limits", label: labels.memoryLimit, help: MEMORY_HELP },
  ] as const;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
      {fields.map(({ key, kind, label, help }) => {
        const fieldPath = `${path}.${kind}.${key}`;
        const isRequest = kind === "resource_requests";
        const current = isRequest ? requests : limits;
        const placeholder = (isRequest ? placeholders?.requests : placeholders?.limits)?.[key];
        return (
          <TextInput
            key={fieldPath}
            id={fieldId(fieldPath)}
            label={label}
            description={help}
            placeholder={placeholder || "Platform default"}
            value={current[key]}
            error={errors[fieldPath]}
            onChange={(event) => {
              const next = { ...current, [key]: event.currentTarget.value };
              onChange(isRequest ? next : requests, isRequest ? limits : next, fieldPath);
            }}
            styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
          />
        );
      })}
    </SimpleGrid>
  );
}
