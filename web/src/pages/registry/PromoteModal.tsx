import { Alert, Button, Group, Modal, Select, Stack, Text, Textarea } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { type FormEvent, useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { fieldError, ProblemAlert, useRegistryCommand, versionOptions } from "./actions";
import { ALLOWED_MOVES, type ModelDetailData, STATUS_HELP, type VersionStatus } from "./data";

interface PromoteInput {
  modelId: string;
  version: number;
  status: VersionStatus;
  note: string;
}

function title(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** Move a version to another status (only the moves the registry allows). */
export function PromoteModal({ model, opened, onClose, initialVersionId, primary }: {
  model: ModelDetailData;
  opened: boolean;
  onClose: () => void;
  initialVersionId?: string | null;
  primary?: string;
}) {
  const fallback = model.versions.find((v) => v.status !== "production" && v.status !== "archived") ?? model.versions[0];
  const preferred = initialVersionId ?? fallback?.model_id ?? null;
  const [versionId, setVersionId] = useState<string | null>(preferred);
  const [status, setStatus] = useState<VersionStatus | null>(null);
  const [note, setNote] = useState("");
  const version = model.versions.find((v) => v.model_id === versionId);
  const allowed = version ? ALLOWED_MOVES[version.status] : [];

  const promote = useRegistryCommand(
    (input: PromoteInput) =>
      unwrap(
        api.POST("/api/mlops/promote_model", {
          body: { model_id: input.modelId, new_status: input.status, note: input.note.trim() || null },
        }),
      ),
    { done: (input) => `${model.name} version ${input.version} is now ${input.status}.`, onDone: onClose },
  );

  useEffect(() => {
    if (opened) {
      setVersionId(preferred);
      setNote("");
      promote.reset();
    }
    // Reset only when the modal opens.
  }, [opened]);

  const currentStatus = version?.status;
  useEffect(() => {
    const moves = currentStatus ? ALLOWED_MOVES[currentStatus] : [];
    setStatus(moves.includes("production") ? "production" : (moves[0] ?? null));
  }, [versionId, currentStatus]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!version || !status) return;
    promote.mutate({ modelId: version.model_id, version: version.version, status, note });
  };

  const current = model.production_version;
  const consequence =
    status === "production" && version
      ? current && current !== version.version
        ? `Version ${current} leaves production and is archived. Deployments that follow production move to version ${version.version} without downtime.`
        : `Deployments that follow production will serve version ${version.version}.`
      : status === "archived" && version?.status === "production"
        ? "The model will have no production version; deployments keep serving what they serve now."
        : status
          ? STATUS_HELP[status]
          : null;

  return (
    <Modal opened={opened} onClose={onClose} closeButtonProps={{ "aria-label": "Close" }} title={`Promote a version of ${model.name}`} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          <ProblemAlert error={promote.error} title="The version was not moved" />
          <Select
            label="Version"
            data={versionOptions(model.versions, primary)}
            value={versionId}
            onChange={setVersionId}
            allowDeselect={false}
            required
            error={fieldError(promote.error, "model_id", "new_version")}
          />
          <Select
            label="New status"
            description={
              version
                ? `Version ${version.version} is ${version.status}; it may become ${allowed.join(", ")}.${
                    version.status === "archived" ? " To bring it back to production, use Rollback." : ""
                  }`
                : undefined
            }
            data={allowed.map((s) => ({ value: s, label: title(s) }))}
            value={status}
            onChange={(value) => setStatus(value as VersionStatus | null)}
            allowDeselect={false}
            required
            error={fieldError(promote.error, "new_status")}
          />
          {consequence && (
            <Alert role="note" variant="light" color={status === "production" ? "blue" : "gray"} icon={<IconInfoCircle size={18} aria-hidden />}>
              <Text size="sm">{consequence}</Text>
            </Alert>
          )}
          <Textarea
            label="Note"
            description="Optional: why, for the timeline."
            value={note}
            onChange={(event) => setNote(event.currentTarget.value)}
            maxLength={1000}
            rows={2}
            error={fieldError(promote.error, "note")}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={promote.isPending} disabled={!version || !status}>
              Promote
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
