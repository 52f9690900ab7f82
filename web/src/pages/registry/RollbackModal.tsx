import { Alert, Button, Group, List, Modal, Select, Stack, Text, Textarea } from "@mantine/core";
import { IconArrowBackUp } from "@tabler/icons-react";
import { type FormEvent, useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { fieldError, ProblemAlert, useRegistryCommand, versionLabel } from "./actions";
import type { ModelDetailData } from "./data";

interface RollbackInput {
  current: string;
  target: string;
  version: number;
  note: string;
}

/** Put an earlier version back in production; the current one is archived. */
export function RollbackModal({ model, opened, onClose, primary }: {
  model: ModelDetailData;
  opened: boolean;
  onClose: () => void;
  primary?: string;
}) {
  const current = model.versions.find((v) => v.model_id === model.production_model_id);
  const others = model.versions.filter((v) => v.model_id !== model.production_model_id);
  const earlier = others.filter((v) => !current || v.version < current.version);
  const later = others.filter((v) => current && v.version > current.version);
  const preferred = earlier[0]?.model_id ?? others[0]?.model_id ?? null;
  const [target, setTarget] = useState<string | null>(preferred);
  const [note, setNote] = useState("");
  const chosen = others.find((v) => v.model_id === target);

  const rollback = useRegistryCommand(
    (input: RollbackInput) =>
      unwrap(
        api.POST("/api/mlops/rollback_model", {
          body: { current_model_id: input.current, target_model_id: input.target, note: input.note.trim() || null },
        }),
      ),
    { done: (input) => `${model.name} rolled back: version ${input.version} is in production again.`, onDone: onClose },
  );

  useEffect(() => {
    if (opened) {
      setTarget(preferred);
      setNote("");
      rollback.reset();
    }
    // Reset only when the modal opens.
  }, [opened]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!current || !chosen) return;
    rollback.mutate({ current: current.model_id, target: chosen.model_id, version: chosen.version, note });
  };

  const data = [
    ...(earlier.length ? [{ group: "Earlier versions", items: earlier.map((v) => ({ value: v.model_id, label: versionLabel(v, primary) })) }] : []),
    ...(later.length ? [{ group: "Later versions", items: later.map((v) => ({ value: v.model_id, label: versionLabel(v, primary) })) }] : []),
  ];

  return (
    <Modal opened={opened} onClose={onClose} closeButtonProps={{ "aria-label": "Close" }} title={`Roll back ${model.name}`} size="lg">
      {!current ? (
        <Stack>
          <Text size="sm">
            {model.name} has no version in production, so there is nothing to roll back. Promote a version to production first.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <ProblemAlert error={rollback.error} title="The rollback did not happen" />
            <Text size="sm">
              Version {current.version} is in production now.
            </Text>
            <Select
              label="Target version"
              description="The version to put back in production."
              data={data}
              value={target}
              onChange={setTarget}
              allowDeselect={false}
              required
              error={fieldError(rollback.error, "target_model_id", "current_model_id")}
            />
            <Alert role="note" variant="light" color="gray" icon={<IconArrowBackUp size={18} aria-hidden />}>
              <Text size="sm" fw={700} mb={4}>What happens</Text>
              <List size="sm" spacing={4}>
                <List.Item>
                  Version {chosen ? chosen.version : "you choose"} becomes the production version again.
                </List.Item>
                <List.Item>Version {current.version} is archived; its timeline records the rollback and your note.</List.Item>
                <List.Item>
                  Deployments that follow production switch to version {chosen ? chosen.version : "you choose"} without downtime
                  (instantly when its replicas are still warm). Pinned deployments keep their version.
                </List.Item>
              </List>
            </Alert>
            <Textarea
              label="Note"
              description="Optional: why, for the timeline (for example: version 3 drifts on new scans)."
              value={note}
              onChange={(event) => setNote(event.currentTarget.value)}
              maxLength={1000}
              rows={2}
              error={fieldError(rollback.error, "note")}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>Cancel</Button>
              <Button type="submit" loading={rollback.isPending} disabled={!chosen}>
                Roll back
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
