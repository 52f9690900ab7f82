import { Alert, Button, Group, Modal, Stack, Text, Textarea } from "@mantine/core";
import { IconAlertTriangle, IconPlayerStop } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { describe } from "../../api/problem";
import { notifySuccess } from "../../components/notify";

/** "Cancel run" and its confirmation: a queued run never starts, a running trainer is stopped. */
export function CancelRun({ jobId, modelName, queued }: { jobId: string; modelName: string; queued: boolean }) {
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [reason, setReason] = useState("");

  const cancel = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/workflows/runs/{job_id}/cancel", {
          params: { path: { job_id: jobId } },
          body: { reason: reason.trim() || null },
        }),
      ),
    onSuccess: (answer) => {
      setOpened(false);
      setReason("");
      void client.invalidateQueries({ queryKey: keys.run(jobId) });
      void client.invalidateQueries({ queryKey: ["runs"] });
      notifySuccess(
        answer.status === "cancelled"
          ? "The run is cancelled."
          : "The trainer is being stopped; the page updates in a few seconds.",
        "Run cancelled",
      );
    },
  });

  const close = () => {
    if (cancel.isPending) return;
    setOpened(false);
    cancel.reset();
  };

  return (
    <>
      <Button color="red" variant="light" leftSection={<IconPlayerStop size={18} aria-hidden />} onClick={() => setOpened(true)}>
        Cancel run
      </Button>
      <Modal opened={opened} onClose={close} title="Cancel this run?" centered closeButtonProps={{ "aria-label": "Close" }}>
        <Stack gap="md">
          <Text size="sm">
            {queued
              ? `The run of ${modelName} will leave the queue and never start.`
              : `Training of ${modelName} stops within seconds. Nothing is registered or deployed; the log is kept.`}
          </Text>
          <Textarea
            label="Reason (optional)"
            description="Kept in the run's history."
            placeholder="Wrong data source"
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            maxLength={500}
            rows={3}
            data-autofocus
          />
          {cancel.isError && (
            <Alert color="red" icon={<IconAlertTriangle size={18} aria-hidden />} role="alert">
              {describe(cancel.error)}
            </Alert>
          )}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={cancel.isPending}>
              Keep it running
            </Button>
            <Button color="red" loading={cancel.isPending} onClick={() => cancel.mutate()}>
              Yes, cancel run
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
