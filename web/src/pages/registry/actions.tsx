/** What the registry's modals share: the mutation plumbing, the problem box, version options. */
import { Alert, List, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { ApiError, describe } from "../../api/problem";
import type { components } from "../../api/schema";
import { notifySuccess } from "../../components/notify";
import { formatMetric, metricLabel, type VersionDetail } from "./data";

type CommandView = components["schemas"]["CommandView"];

/** Refresh what a registry or deployment change touches (events do it too; this is for the actor's own page). */
export function useRefreshRegistry() {
  const client = useQueryClient();
  return () => {
    for (const prefix of ["models", "model", "versions", "version", "compare", "deployments"]) {
      void client.invalidateQueries({ queryKey: [prefix] });
    }
  };
}

/**
 * A registry command: on success a toast (saying so when the service has only accepted it), the
 * caches refreshed, and `onDone`; the error stays on the mutation for the modal to show.
 */
export function useRegistryCommand<T>(
  run: (input: T) => Promise<CommandView>,
  { done, onDone }: { done: (input: T) => string; onDone: () => void },
) {
  const refresh = useRefreshRegistry();
  return useMutation({
    mutationFn: run,
    onSuccess: (command, input) => {
      if (command.status === "pending") {
        notifySuccess(
          `${done(input)} — accepted; the registry is applying it and this page updates when it has.`,
          "Accepted",
        );
      } else {
        notifySuccess(done(input));
      }
      refresh();
      onDone();
    },
  });
}

/** The message for one field of a failed request, for the input that holds it. */
export function fieldError(error: unknown, ...paths: string[]): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  for (const path of paths) {
    const message = error.forField(path);
    if (message) return message;
  }
  return undefined;
}

const HINTS: Record<number, string> = {
  404: "It may have been removed meanwhile: close this window and look again.",
  409: "The model changed, or this move is not allowed from the version's current status: pick another status or version.",
  422: "Correct the highlighted fields and try again.",
};

/** The problem the API answered, in a box at the top of a modal: what went wrong and what to do. */
export function ProblemAlert({ error, title }: { error: unknown; title: string }) {
  if (!error) return null;
  const status = error instanceof ApiError ? error.status : 0;
  const others = error instanceof ApiError && error.errors.length > 1 ? error.errors : [];
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />} title={title} role="alert">
      <Text size="sm">{others.length ? "The platform refused some values:" : describe(error)}</Text>
      {others.length > 0 && (
        <List size="sm" mt={4}>
          {others.map((item) => (
            <List.Item key={item.field}>
              {item.field}: {item.message}
            </List.Item>
          ))}
        </List>
      )}
      {HINTS[status] && (
        <Text size="sm" mt={4} c="dimmed">
          {HINTS[status]}
        </Text>
      )}
    </Alert>
  );
}

/** "Version 3 · production · Test accuracy 94.2 %". */
export function versionLabel(version: VersionDetail, primary = "test_accuracy"): string {
  const metric = version.metrics[primary];
  const parts = [`Version ${version.version}`, version.status];
  if (metric !== undefined) parts.push(`${metricLabel(primary)} ${formatMetric(primary, metric)}`);
  if (version.aliases.length) parts.push(version.aliases.join(", "));
  return parts.join(" · ");
}

export function versionOptions(versions: VersionDetail[], primary?: string) {
  return versions.map((version) => ({ value: version.model_id, label: versionLabel(version, primary) }));
}
