import { BarChart } from "@mantine/charts";
import { Alert, Badge, Box, Group, Stack, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";

import { describe } from "../../api/problem";
import { formatPercent } from "../../components/format";
import type { PredictResult } from "./api";

/** What the model answered: its class, how sure it is, every class's probability and the time taken. */
export function PredictionResult({ result }: { result: PredictResult }) {
  const prediction = result.answer.predictions[0];
  if (!prediction) return null;
  const probabilities = Object.entries(prediction.probabilities ?? {}).map(([label, value]) => ({
    label,
    probability: Math.round(value * 1000) / 10,
  }));
  const summary = probabilities.map((p) => `${p.label}: ${p.probability} %`).join(", ");
  return (
    <Stack gap="sm" aria-live="polite">
      <Group gap="sm" align="baseline">
        <Text fz={28} fw={700} data-testid="prediction-result">
          Prediction: {prediction.class}
        </Text>
        <Badge variant="light" color="blue" size="lg">
          {formatPercent(prediction.confidence)} sure
        </Badge>
      </Group>
      <Text size="sm" c="dimmed">
        Answered in {Math.round(result.milliseconds)} ms by version {result.answer.model_version ?? "—"}
      </Text>
      {probabilities.length > 0 && (
        <Box role="img" aria-label={`Probability of each class: ${summary}`}>
          <BarChart
            h={200}
            data={probabilities}
            dataKey="label"
            series={[{ name: "probability", color: "blue.6", label: "Probability" }]}
            unit=" %"
            yAxisProps={{ domain: [0, 100] }}
            tickLine="y"
            withTooltip
          />
        </Box>
      )}
    </Stack>
  );
}

export function PredictionError({ error }: { error: unknown }) {
  return (
    <Alert color="red" title="The model could not predict" icon={<IconAlertTriangle size={18} aria-hidden />} role="alert">
      {describe(error)}
    </Alert>
  );
}
