import { Alert, Anchor, Button, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { IconCircleCheck } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { notifySuccess } from "../../components/notify";
import { fieldError, ProblemAlert, useRefreshRegistry, versionOptions } from "./actions";
import type { ModelDetailData } from "./data";

type DeployRequest = components["schemas"]["DeployRequest"];
type DeployStarted = components["schemas"]["DeployStarted"];

function resources(cpu: string, memory: string): DeployRequest["resource_limits"] | undefined {
  const value = { cpu: cpu.trim() || null, memory: memory.trim() || null };
  return value.cpu || value.memory ? value : undefined;
}

/** Deploy a version of this model: replicas, resources, and whether it follows production. */
export function DeployModal({ model, opened, onClose, initialVersionId, primary }: {
  model: ModelDetailData;
  opened: boolean;
  onClose: () => void;
  initialVersionId?: string | null;
  primary?: string;
}) {
  const preferred = initialVersionId ?? model.production_model_id ?? model.latest_model_id ?? null;
  const [versionId, setVersionId] = useState<string | null>(preferred);
  const [replicas, setReplicas] = useState<number>(1);
  const [namespace, setNamespace] = useState("default");
  const [cpuRequest, setCpuRequest] = useState("");
  const [memoryRequest, setMemoryRequest] = useState("");
  const [cpuLimit, setCpuLimit] = useState("");
  const [memoryLimit, setMemoryLimit] = useState("");
  const [follow, setFollow] = useState(true);
  const [started, setStarted] = useState<DeployStarted | null>(null);
  const refresh = useRefreshRegistry();

  const deploy = useMutation({
    mutationFn: (body: DeployRequest) => unwrap(api.POST("/api/mlops/deploy_model", { body })),
    onSuccess: (result) => {
      const version = result.model_version ? ` version ${result.model_version}` : "";
      notifySuccess(
        result.deployment_id
          ? `Deploying ${model.name}${version}: its replicas are starting.`
          : `Deployment of ${model.name} accepted: it appears below as soon as the platform has created it.`,
        "Deployment started",
      );
      refresh();
      setStarted(result);
    },
  });

  useEffect(() => {
    if (opened) {
      setVersionId(preferred);
      setStarted(null);
      deploy.reset();
    }
    // Reset only when the modal opens.
  }, [opened]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!versionId) return;
    deploy.mutate({
      model_id: versionId,
      replicas,
      namespace: namespace.trim() || "default",
      follow_production: follow,
      resource_requests: resources(cpuRequest, memoryRequest),
      resource_limits: resources(cpuLimit, memoryLimit),
    });
  };

  const error = deploy.error;
  return (
    <Modal opened={opened} onClose={onClose} closeButtonProps={{ "aria-label": "Close" }} title={`Deploy ${model.name}`} size="lg">
      {started ? (
        <Stack>
          <Alert role="status" color="green" variant="light" icon={<IconCircleCheck size={18} aria-hidden />} title="Deployment started">
            <Text size="sm">
              {started.deployment_id
                ? "The replicas are starting; the deployment is ready when every replica answers. Its page shows progress, traffic and alerts."
                : "The platform accepted the request and is creating the deployment; it appears in the deployment history of this model in a moment."}
            </Text>
          </Alert>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Close</Button>
            {started.deployment_id && (
              <Button component={Link} to={`/deployments/${started.deployment_id}`}>
                Open the deployment
              </Button>
            )}
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <ProblemAlert error={error} title="The deployment was not started" />
            <Select
              label="Version"
              description="The version the replicas serve."
              data={versionOptions(model.versions, primary)}
              value={versionId}
              onChange={setVersionId}
              allowDeselect={false}
              required
              error={fieldError(error, "model_id")}
              comboboxProps={{ withinPortal: true }}
            />
            <NumberInput
              label="Replicas"
              description="Copies of the model answering requests; more replicas take more load and survive a crash."
              min={1}
              max={50}
              value={replicas}
              onChange={(value) => setReplicas(typeof value === "number" ? value : Number(value) || 1)}
              required
              error={fieldError(error, "replicas")}
            />
            <Switch
              label="Follow production"
              description="When another version is promoted to production, or production is rolled back, this deployment moves to it without downtime. Turn off to pin this version."
              checked={follow}
              onChange={(event) => setFollow(event.currentTarget.checked)}
            />
            <Title order={3} fz="md" mt="xs">
              Resources per replica
            </Title>
            <Text size="sm" c="dimmed" mt={-8}>
              Optional. Leave empty for the platform&apos;s defaults. CPU in cores (1, 0.5) or millicores (500m); memory like 512Mi or 2Gi.
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="CPU request" placeholder="500m" value={cpuRequest}
                onChange={(event) => setCpuRequest(event.currentTarget.value)}
                error={fieldError(error, "resource_requests.cpu")} />
              <TextInput label="Memory request" placeholder="512Mi" value={memoryRequest}
                onChange={(event) => setMemoryRequest(event.currentTarget.value)}
                error={fieldError(error, "resource_requests.memory")} />
              <TextInput label="CPU limit" placeholder="1" value={cpuLimit}
                onChange={(event) => setCpuLimit(event.currentTarget.value)}
                error={fieldError(error, "resource_limits.cpu")} />
              <TextInput label="Memory limit" placeholder="2Gi" value={memoryLimit}
                onChange={(event) => setMemoryLimit(event.currentTarget.value)}
                error={fieldError(error, "resource_limits.memory")} />
            </SimpleGrid>
            <TextInput
              label="Namespace"
              description="The Kubernetes namespace; the local runtime only records it."
              value={namespace}
              onChange={(event) => setNamespace(event.currentTarget.value)}
              error={fieldError(error, "namespace")}
            />
            <Group justify="flex-end" mt="sm">
              <Button variant="default" onClick={onClose}>Cancel</Button>
              <Button type="submit" loading={deploy.isPending} disabled={!versionId}>
                Deploy version
              </Button>
            </Group>
            <Text size="xs" c="dimmed">
              See all deployments on the <Anchor component={Link} to="/deployments" size="xs" underline="always">Deployments</Anchor> page.
            </Text>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
