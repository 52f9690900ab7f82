import { Badge, type MantineColor } from "@mantine/core";

const COLORS: Record<string, MantineColor> = {
  queued: "gray",
  pending: "gray",
  running: "blue",
  deploying: "blue",
  succeeded: "green",
  ready: "green",
  production: "green",
  ok: "green",
  resolved: "green",
  up: "green",
  staging: "cyan",
  registered: "indigo",
  candidate: "indigo",
  degraded: "orange",
  acknowledged: "yellow",
  warning: "yellow",
  standby: "grape",
  open: "red",
  failed: "red",
  critical: "red",
  down: "red",
  cancelled: "gray",
  skipped: "gray",
  archived: "gray",
  deleted: "gray",
  stopping: "gray",
};

/** A status word in its colour; the word itself carries the meaning (not the colour alone). */
export function StatusBadge({ status, size = "sm" }: { status: string | null | undefined; size?: "xs" | "sm" | "md" | "lg" }) {
  const word = status ?? "unknown";
  return (
    <Badge color={COLORS[word] ?? "gray"} variant="light" size={size} radius="sm">
      {word.replace(/_/g, " ")}
    </Badge>
  );
}
