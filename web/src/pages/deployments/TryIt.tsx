import { Alert, Paper, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";

import { keys } from "../../api/keys";
import { QueryState } from "../../components/Page";
import { fetchModelMetadata, takesImages, type DeploymentFull } from "./api";
import { DigitTry } from "./DigitTry";
import { TableTry } from "./TableTry";

/** The "Try it" section: send the deployment an input and see its answer. */
export function TryIt({ deployment }: { deployment: DeploymentFull }) {
  const serving = deployment.replicas_ready > 0;
  const images = takesImages(deployment);
  const metadata = useQuery({
    queryKey: [...keys.deployment(deployment.deployment_id), "metadata", deployment.model_id],
    queryFn: () => fetchModelMetadata(deployment.deployment_id, deployment.model_name),
    enabled: serving && !images,
  });

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="try-it">
      <Title order={2} fz="h3" id="try-it" mb={4}>
        Try it
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Send {deployment.model_name} v{deployment.model_version} an input and see what it predicts. Every
        prediction counts in the charts above.
      </Text>
      {!serving ? (
        <Alert color="gray" title="No replica is ready">
          Predictions work once at least one replica answers ready. This page updates by itself.
        </Alert>
      ) : images ? (
        <DigitTry deploymentId={deployment.deployment_id} />
      ) : (
        <QueryState query={metadata} label="the model's inputs">
          {() => <TableTry deploymentId={deployment.deployment_id} inputs={metadata.data?.inputs ?? []} />}
        </QueryState>
      )}
    </Paper>
  );
}
