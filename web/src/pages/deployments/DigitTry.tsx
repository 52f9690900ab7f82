import { Button, Group, Input, SimpleGrid, Stack, Text } from "@mantine/core";
import { IconEraser, IconSparkles } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";

import { predict } from "./api";
import classes from "./DigitTry.module.css";
import { DigitPreview, DrawingPad } from "./DrawingPad";
import { PredictionError, PredictionResult } from "./PredictionResult";

function readAsDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error("The file could not be read."));
    reader.readAsDataURL(blob);
  });
}

/** A PNG as a data URL; other image formats are converted in the browser first. */
async function pngDataUrl(file: File): Promise<string> {
  if (file.type === "image/png") return readAsDataUrl(file);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`"${file.name}" is not an image this browser can read. Choose a PNG or JPEG file.`);
  }
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser cannot convert the image; choose a PNG file.");
  context.drawImage(bitmap, 0, 0);
  return canvas.toDataURL("image/png");
}

/** Try a digit model: draw a digit or upload a picture of one, and see what it predicts. */
export function DigitTry({ deploymentId }: { deploymentId: string }) {
  const [drawing, setDrawing] = useState<number[][] | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [resetKey, setResetKey] = useState(0);
  const [missing, setMissing] = useState(false);
  const [fileKey, setFileKey] = useState(0);
  const fileId = useId();

  const mutation = useMutation({
    mutationFn: async () => {
      if (file) return predict(deploymentId, { image: await pngDataUrl(file) });
      if (drawing) return predict(deploymentId, { image: drawing });
      throw new Error("Nothing to predict yet.");
    },
  });

  const drawn = (image: number[][] | null) => {
    setDrawing(image);
    if (image) {
      if (file) setFileKey((key) => key + 1);
      setFile(null);
      setMissing(false);
    }
  };

  const clear = () => {
    setDrawing(null);
    setResetKey((key) => key + 1);
    mutation.reset();
  };

  const chooseFile = (chosen: File | null) => {
    setFile(chosen);
    if (chosen) {
      setDrawing(null);
      setResetKey((key) => key + 1);
      setMissing(false);
    }
    mutation.reset();
  };

  const run = () => {
    if (!file && !drawing) {
      setMissing(true);
      return;
    }
    mutation.mutate();
  };

  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
        <Stack gap="xs">
          <Text fw={600} size="sm">
            Draw a digit
          </Text>
          <Text size="sm" c="dimmed">
            Use your mouse, finger or pen. Draw one digit, large, in the middle of the pad.
          </Text>
          <DrawingPad onDrawn={drawn} resetKey={resetKey} />
          <Group gap="md" align="center">
            <Button variant="default" leftSection={<IconEraser size={16} aria-hidden />} onClick={clear}>
              Clear
            </Button>
            {drawing && (
              <Group gap="xs">
                <DigitPreview image={drawing} label="Your drawing as the model sees it, 28 by 28 pixels" />
                <Text size="xs" c="dimmed" maw={140}>
                  What the model sees: 28 × 28 pixels, centred like MNIST
                </Text>
              </Group>
            )}
          </Group>
        </Stack>
        <Stack gap="xs">
          <Input.Wrapper
            id={fileId}
            label="Upload an image"
            description="A picture of one digit (PNG or JPEG). Dark ink on light paper works too."
          >
            <input
              key={fileKey}
              id={fileId}
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif,image/bmp"
              aria-describedby={`${fileId}-description`}
              className={classes.file}
              onChange={(event) => chooseFile(event.currentTarget.files?.[0] ?? null)}
            />
          </Input.Wrapper>
          <Text size="sm" c="dimmed">
            {file
              ? `Predict will use "${file.name}".`
              : drawing
                ? "Predict will use your drawing."
                : "Draw on the pad or choose a file, then press Predict."}
          </Text>
        </Stack>
      </SimpleGrid>
      <Group>
        <Button leftSection={<IconSparkles size={16} aria-hidden />} onClick={run} loading={mutation.isPending}>
          Predict
        </Button>
        {missing && (
          <Text size="sm" c="red" role="alert">
            Draw a digit on the pad or upload an image first.
          </Text>
        )}
      </Group>
      {mutation.isError && <PredictionError error={mutation.error} />}
      {mutation.data && <PredictionResult result={mutation.data} />}
    </Stack>
  );
}
