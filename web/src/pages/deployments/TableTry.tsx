import { Button, Group, NumberInput, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { IconSparkles } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { predict, type TensorMetadata } from "./api";
import { PredictionError, PredictionResult } from "./PredictionResult";

type Value = string | number;

/** Try a table model: one input per feature column, then Predict. */
export function TableTry({ deploymentId, inputs }: { deploymentId: string; inputs: TensorMetadata[] }) {
  const [values, setValues] = useState<Record<string, Value>>({});
  const [missing, setMissing] = useState<string[]>([]);

  const mutation = useMutation({
    mutationFn: (features: Record<string, Value>) => predict(deploymentId, { features }),
  });

  const set = (name: string, value: Value) => {
    setValues((current) => ({ ...current, [name]: value }));
    setMissing((current) => current.filter((field) => field !== name));
  };

  const run = () => {
    const empty = inputs.filter((input) => values[input.name] === undefined || values[input.name] === "").map((i) => i.name);
    setMissing(empty);
    if (empty.length > 0) return;
    const features: Record<string, Value> = {};
    for (const input of inputs) features[input.name] = values[input.name] ?? "";
    mutation.mutate(features);
  };

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Enter one row of the table the model was trained on: a value for each of its {inputs.length} feature
        columns.
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
        {inputs.map((input) => {
          const error = missing.includes(input.name) ? "Enter a value" : undefined;
          return input.datatype === "BYTES" ? (
            <TextInput
              key={input.name}
              label={input.name}
              value={String(values[input.name] ?? "")}
              onChange={(event) => set(input.name, event.currentTarget.value)}
              error={error}
            />
          ) : (
            <NumberInput
              key={input.name}
              label={input.name}
              value={values[input.name] ?? ""}
              onChange={(value) => set(input.name, value)}
              decimalScale={6}
              error={error}
            />
          );
        })}
      </SimpleGrid>
      <Group>
        <Button leftSection={<IconSparkles size={16} aria-hidden />} onClick={run} loading={mutation.isPending}>
          Predict
        </Button>
        {missing.length > 0 && (
          <Text size="sm" c="red" role="alert">
            Fill in every feature ({missing.length} empty).
          </Text>
        )}
      </Group>
      {mutation.isError && <PredictionError error={mutation.error} />}
      {mutation.data && <PredictionResult result={mutation.data} />}
    </Stack>
  );
}
