import { Box } from "@mantine/core";
import { useEffect, useRef, type PointerEvent } from "react";

import { greyLevels, SIDE, toMnist } from "./digit";

const SIZE = 280;
const STROKE = 22;

function paintBlack(canvas: HTMLCanvasElement | null): void {
  const context = canvas?.getContext("2d");
  if (!canvas || !context) return;
  context.fillStyle = "#000";
  context.fillRect(0, 0, canvas.width, canvas.height);
}

/**
 * A square pad to draw a digit on with a mouse, a finger or a pen: white strokes on black, as thick
 * as MNIST's. After each stroke it hands back the 28×28 image the model will see.
 * Changing `resetKey` wipes it.
 */
export function DrawingPad({ onDrawn, resetKey }: { onDrawn: (image: number[][] | null) => void; resetKey: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);

  useEffect(() => paintBlack(canvas.current), [resetKey]);

  const point = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * SIZE,
      y: ((event.clientY - rect.top) / rect.height) * SIZE,
    };
  };

  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const context = canvas.current?.getContext("2d");
    if (!context) return;
    context.strokeStyle = "#fff";
    context.lineWidth = STROKE;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  };

  const down = (event: PointerEvent<HTMLCanvasElement>) => {
    event.preventDefault();
    event.currentTarget.setPointerCapture?.(event.pointerId);
    const at = point(event);
    last.current = at;
    stroke(at, at);
  };

  const move = (event: PointerEvent<HTMLCanvasElement>) => {
    if (!last.current) return;
    const at = point(event);
    stroke(last.current, at);
    last.current = at;
  };

  const up = () => {
    if (!last.current) return;
    last.current = null;
    const element = canvas.current;
    const context = element?.getContext("2d");
    if (!element || !context) return;
    const { data } = context.getImageData(0, 0, element.width, element.height);
    onDrawn(toMnist(greyLevels(data, element.width, element.height)));
  };

  return (
    <Box
      component="canvas"
      ref={canvas}
      width={SIZE}
      height={SIZE}
      aria-label="Drawing pad"
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={up}
      onPointerLeave={up}
      style={{
        display: "block",
        width: "100%",
        maxWidth: SIZE,
        aspectRatio: "1 / 1",
        touchAction: "none",
        cursor: "crosshair",
        borderRadius: "var(--mantine-radius-md)",
        border: "1px solid var(--mantine-color-default-border)",
        background: "#000",
      }}
    />
  );
}

/** The 28×28 image the model receives, enlarged with visible pixels. */
export function DigitPreview({ image, label }: { image: number[][]; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (!context) return;
    const data = context.createImageData(SIDE, SIDE);
    image.forEach((row, y) =>
      row.forEach((value, x) => {
        const level = Math.round(value * 255);
        const i = (y * SIDE + x) * 4;
        data.data[i] = level;
        data.data[i + 1] = level;
        data.data[i + 2] = level;
        data.data[i + 3] = 255;
      }),
    );
    context.putImageData(data, 0, 0);
  }, [image]);

  return (
    <Box
      component="canvas"
      ref={canvas}
      width={SIDE}
      height={SIDE}
      role="img"
      aria-label={label}
      style={{
        width: 84,
        height: 84,
        imageRendering: "pixelated",
        borderRadius: "var(--mantine-radius-sm)",
        border: "1px solid var(--mantine-color-default-border)",
      }}
    />
  );
}
