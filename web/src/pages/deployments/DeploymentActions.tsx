import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Text } from "@mantine/core";
import { IconArrowsUpDown, IconRocket, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError, describe } from "../../api/problem";
import { notifySuccess } from "../../components/notify";
import { stillRunning, type DeploymentFull } from "./api";

const IN_PROGRESS = "The platform accepted it and is working on it; this page updates by itself.";

function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <Alert color="red" role="alert" title="That did not work">
      {describe(error)}
    </Alert>
  );
}

function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.forField(field) : undefined;
}

function ScaleModal({ deployment, opened, onClose }: { deployment: DeploymentFull; opened: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [replicas, setReplicas] = useState<number | string>(deployment.replicas_desired);
  const mutation = useMutation({
    mutationFn: (count: number) =>
      unwrap(
        api.POST("/api/deployments/{deployment_id}/scale", {
          params: { path: { deployment_id: deployment.deployment_id } },
          body: { replicas: count },
        }),
      ),
    onSuccess: (answer, count) => {
      void client.invalidateQueries({ queryKey: keys.deployment(deployment.deployment_id) });
      notifySuccess(stillRunning(answer) ? IN_PROGRESS : `Scaling to ${count} replica${count === 1 ? "" : "s"}.`, "Scale");
      onClose();
    },
  });
  const number = typeof replicas === "number" ? replicas : Number.NaN;
  const invalid = !Number.isInteger(number) || number < 1 || number > 50;
  const fieldMessage = fieldError(mutation.error, "replicas");
  return (
    <Modal opened={opened} onClose={onClose} title="Scale the deployment" centered>
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          How many replicas should serve {deployment.model_name} v{deployment.model_version}? More replicas answer more
          requests at once; each one uses its own CPU and memory.
        </Text>
        <NumberInput
          label="Replicas"
          min={1}
          max={50}
          allowDecimal={false}
          value={replicas}
          onChange={setReplicas}
          error={invalid && replicas !== "" ? "Choose between 1 and 50 replicas" : fieldMessage}
          data-autofocus
        />
        {!fieldMessage && <ErrorNote error={mutation.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => mutation.mutate(number)} loading={mutation.isPending} disabled={invalid}>
            Scale
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function RolloutModal({ deployment, opened, onClose }: { deployment: DeploymentFull; opened: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [modelId, setModelId] = useState<string | null>(null);
  const versions = useQuery({
    queryKey: keys.versions({ name: deployment.model_name, purpose: "rollout" }),
    queryFn: () =>
      unwrap(api.GET("/api/mlops/models", { params: { query: { name: deployment.model_name, sort: "-version", limit: 200 } } })),
    enabled: opened,
  });
  const options = (versions.data?.models ?? [])
    .filter((v) => v.model_id !== deployment.model_id)
    .map((v) => ({ value: v.model_id, label: `Version ${v.version} · ${v.status}` }));
  const mutation = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/deployments/{deployment_id}/rollout", {
          params: { path: { deployment_id: deployment.deployment_id } },
          body: { model_id: id },
        }),
      ),
    onSuccess: (answer, id) => {
      void client.invalidateQueries({ queryKey: keys.deployment(deployment.deployment_id) });
      const version = versions.data?.models.find((v) => v.model_id === id)?.version;
      const label = version === undefined ? "the new version" : `version ${version}`;
      notifySuccess(
        stillRunning(answer) ? IN_PROGRESS : `Rolling out ${label}: traffic switches once its replicas are ready.`,
        "Roll out",
      );
      onClose();
    },
  });
  const fieldMessage = fieldError(mutation.error, "model_id");
  return (
    <Modal opened={opened} onClose={onClose} title="Roll out another version" centered>
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          Starts replicas of the chosen version and switches the traffic once they are all ready: no request is lost. It
          serves version {deployment.model_version} now.
          {deployment.follow_production &&
            " This deployment follows the production version, so the next promote or rollback in the Registry rolls it again."}
        </Text>
        <Select
          label="Version"
          placeholder={versions.isPending ? "Loading versions…" : "Choose a version"}
          data={options}
          value={modelId}
          onChange={setModelId}
          error={versions.isError ? describe(versions.error) : fieldMessage}
          nothingFoundMessage="No other version"
          comboboxProps={{ withinPortal: true }}
          allowDeselect={false}
        />
        {!versions.isPending && !versions.isError && options.length === 0 && (
          <Text size="sm" c="dimmed">
            {deployment.model_name} has no other version yet. Train it again to get one.
          </Text>
        )}
        {!fieldMessage && <ErrorNote error={mutation.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => modelId && mutation.mutate(modelId)} loading={mutation.isPending} disabled={!modelId}>
            Roll out
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteModal({ deployment, opened, onClose }: { deployment: DeploymentFull; opened: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const mutation = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/deployments/{deployment_id}", { params: { path: { deployment_id: deployment.deployment_id } } })),
    onSuccess: (answer) => {
      void client.invalidateQueries({ queryKey: ["deployments"] });
      void client.invalidateQueries({ queryKey: keys.deployment(deployment.deployment_id) });
      notifySuccess(
        stillRunning(answer) ? IN_PROGRESS : `The deployment of ${deployment.model_name} v${deployment.model_version} is deleted.`,
        "Deleted",
      );
      onClose();
      navigate("/deployments");
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Delete this deployment?" centered>
      <Stack gap="md">
        <Text size="sm">
          Every replica of {deployment.model_name} v{deployment.model_version} stops and its endpoint stops answering.
          The model stays in the Registry and the deployment's history is kept.
        </Text>
        <ErrorNote error={mutation.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} data-autofocus>
            Keep it
          </Button>
          <Button color="red" onClick={() => mutation.mutate()} loading={mutation.isPending}>
            Yes, delete
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

type Open = "scale" | "rollout" | "delete" | null;

/** The editor's buttons on a deployment: Scale, Roll out and Delete deployment, each in a modal. */
export function DeploymentActions({ deployment }: { deployment: DeploymentFull }) {
  const [open, setOpen] = useState<Open>(null);
  const close = () => setOpen(null);
  return (
    <>
      <Button variant="default" leftSection={<IconArrowsUpDown size={16} aria-hidden />} onClick={() => setOpen("scale")}>
        Scale
      </Button>
      <Button variant="default" leftSection={<IconRocket size={16} aria-hidden />} onClick={() => setOpen("rollout")}>
        Roll out
      </Button>
      <Button color="red" variant="light" leftSection={<IconTrash size={16} aria-hidden />} onClick={() => setOpen("delete")}>
        Delete deployment
      </Button>
      {open === "scale" && <ScaleModal deployment={deployment} opened onClose={close} />}
      {open === "rollout" && <RolloutModal deployment={deployment} opened onClose={close} />}
      {open === "delete" && <DeleteModal deployment={deployment} opened onClose={close} />}
    </>
  );
}
