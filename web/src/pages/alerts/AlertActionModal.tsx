import { Alert, Button, Group, Modal, Stack, Text, Textarea } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError, describe } from "../../api/problem";
import { notifySuccess } from "../../components/notify";
import { alertTitle, sentence, type AlertView } from "./alertText";

export type AlertAction = "acknowledge" | "resolve";

const TEXT: Record<AlertAction, { title: string; confirm: string; done: string; explain: string }> = {
  acknowledge: {
    title: "Acknowledge this alert?",
    confirm: "Acknowledge alert",
    done: "Acknowledged",
    explain: "Tells your team someone is looking at it. It stays active, and the same condition keeps counting occurrences instead of raising a new alert.",
  },
  resolve: {
    title: "Resolve this alert?",
    confirm: "Resolve alert",
    done: "Resolved",
    explain: "Closes it. If the condition comes back, a new alert is raised.",
  },
};

function conflictMessage(error: unknown): string {
  return `${describe(error)}. Someone changed it meanwhile; the list now shows its current status.`;
}

/** Confirm acknowledging or resolving an alert, with an optional note for its record. */
export function AlertActionModal({ alert, action, onClose }: { alert: AlertView; action: AlertAction; onClose: () => void }) {
  const client = useQueryClient();
  const [note, setNote] = useState("");
  const text = TEXT[action];
  const mutation = useMutation({
    mutationFn: () => {
      const params = { path: { alert_id: alert.alert_id } };
      const body = note.trim() ? { note: note.trim() } : {};
      return unwrap(
        action === "acknowledge"
          ? api.POST("/api/alerts/{alert_id}/acknowledge", { params, body })
          : api.POST("/api/alerts/{alert_id}/resolve", { params, body }),
      );
    },
    onSuccess: (answer) => {
      void client.invalidateQueries({ queryKey: ["alerts"] });
      void client.invalidateQueries({ queryKey: keys.alert(alert.alert_id) });
      notifySuccess(
        answer.status === "pending"
          ? "The platform accepted it and is working on it; the list updates by itself."
          : `${alertTitle(alert.alert_type)} on ${alert.model_name ?? "the deployment"}: ${text.done.toLowerCase()}.`,
        text.done,
      );
      onClose();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409) {
        void client.invalidateQueries({ queryKey: ["alerts"] });
        void client.invalidateQueries({ queryKey: keys.alert(alert.alert_id) });
      }
    },
  });
  const conflict = mutation.error instanceof ApiError && mutation.error.status === 409;
  const noteError = mutation.error instanceof ApiError ? mutation.error.forField("note") : undefined;

  return (
    <Modal opened onClose={onClose} title={text.title} centered>
      <Stack gap="md">
        <Text size="sm" fw={500}>
          {sentence(alert.message)}
        </Text>
        <Text size="sm" c="dimmed">
          {text.explain}
          {action === "resolve" && alert.alert_type === "drift_detected" &&
            " Resolving a drift alert also restarts the replicas' drift windows, so drift is judged afresh."}
        </Text>
        <Textarea
          label="Note"
          description="Optional: what you found or did. It is kept in the alert's record."
          placeholder={action === "acknowledge" ? "Looking at it" : "Retrained on the new scans"}
          value={note}
          onChange={(event) => setNote(event.currentTarget.value)}
          maxLength={1000}
          rows={3}
          error={noteError}
          data-autofocus
        />
        {mutation.isError && !noteError && (
          <Alert color={conflict ? "orange" : "red"} role="alert" title={conflict ? "Already changed" : "That did not work"}>
            {conflict ? conflictMessage(mutation.error) : describe(mutation.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {conflict ? "Close" : "Cancel"}
          </Button>
          <Button onClick={() => mutation.mutate()} loading={mutation.isPending} disabled={conflict}>
            {text.confirm}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
