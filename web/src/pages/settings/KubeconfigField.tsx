import { Button, FileButton, Group, Stack, Text, VisuallyHidden } from "@mantine/core";
import { IconUpload } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError, describe } from "../../api/problem";
import type { components } from "../../api/schema";
import { notifyError, notifySuccess } from "../../components/notify";
import type { AllSettings } from "./groups";

type Kubernetes = components["schemas"]["KubernetesSettings"];

/** Largest kubeconfig the API takes. */
const MAX_BYTES = 256 * 1024;

function state(view: Kubernetes): string {
  if (!view.kubeconfig.set) return "No kubeconfig uploaded yet.";
  const contexts = view.kubeconfig_contexts ?? [];
  const current = view.kubeconfig_current_context;
  const list = contexts.length > 0 ? ` It defines ${contexts.length === 1 ? "the context" : "the contexts"} ${contexts.join(", ")}` : "";
  return `A kubeconfig is uploaded.${list}${current ? ` (current: ${current})` : ""}${list ? "." : ""}`;
}

/**
 * The uploaded kubeconfig: what it defines, a button that uploads a new one at once
 * (POST /api/settings/kubeconfig), and "Clear" to remove it on the next save.
 */
export function KubeconfigField({
  view,
  clearing,
  onClear,
  readOnly,
  error,
}: {
  view: Kubernetes;
  clearing: boolean;
  onClear: (clear: boolean) => void;
  readOnly: boolean;
  error?: string;
}) {
  const client = useQueryClient();
  const upload = useMutation({
    mutationFn: async (file: File) => {
      if (file.size > MAX_BYTES) {
        throw new ApiError(422, { detail: `${file.name} is larger than 256 KiB; is it really a kubeconfig?`, field: "kubeconfig" }, "");
      }
      const kubeconfig = await file.text();
      return unwrap(api.POST("/api/settings/kubeconfig", { body: { kubeconfig } }));
    },
    onSuccess: (updated) => {
      client.setQueryData<AllSettings>(keys.settings, (all) => (all ? { ...all, kubernetes: updated } : all));
      onClear(false);
      const contexts = updated.kubeconfig_contexts ?? [];
      notifySuccess(
        contexts.length > 0 ? `The cluster is now reached through it (contexts: ${contexts.join(", ")}).` : "The cluster is now reached through it.",
        "Kubeconfig uploaded",
      );
    },
    onError: (failure) => notifyError(failure, "The kubeconfig was not accepted"),
  });
  const uploadError =
    upload.error instanceof ApiError ? upload.error.forField("kubeconfig") ?? describe(upload.error) : upload.error ? describe(upload.error) : undefined;
  const shownError = uploadError ?? error;

  return (
    <Stack gap={6}>
      <Text size="sm" fw={500} id="kubeconfig-label">
        Kubeconfig
      </Text>
      <Text size="sm" c="dimmed" id="kubeconfig-state">
        {clearing ? "The uploaded kubeconfig will be removed when you save." : state(view)}
      </Text>
      {!readOnly && (
        <Group gap="xs">
          <FileButton onChange={(file) => file && upload.mutate(file)} accept=".yaml,.yml,.conf,.config,.kubeconfig,text/yaml,application/yaml,text/plain">
            {(props) => (
              <Button
                {...props}
                variant="light"
                leftSection={<IconUpload size={16} aria-hidden />}
                loading={upload.isPending}
                aria-describedby="kubeconfig-state"
              >
                {view.kubeconfig.set ? "Upload another kubeconfig" : "Upload kubeconfig"}
              </Button>
            )}
          </FileButton>
          {view.kubeconfig.set && !clearing && (
            <Button variant="subtle" color="red" onClick={() => onClear(true)}>
              Clear <VisuallyHidden>Kubeconfig</VisuallyHidden>
            </Button>
          )}
          {clearing && (
            <Button variant="subtle" onClick={() => onClear(false)}>
              Undo <VisuallyHidden>clearing Kubeconfig</VisuallyHidden>
            </Button>
          )}
        </Group>
      )}
      {shownError && (
        <Text size="sm" c="red" role="alert">
          {shownError}
        </Text>
      )}
    </Stack>
  );
}
