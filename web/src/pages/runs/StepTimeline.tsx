import { Group, Loader, Text, Timeline, type MantineColor } from "@mantine/core";
import { IconCheck, IconClock, IconPlayerSkipForward, IconPlayerStop, IconX } from "@tabler/icons-react";

import type { components } from "../../api/schema";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, formatDuration } from "../../components/format";

type Step = components["schemas"]["StepView"];

const TITLES: Record<Step["name"], string> = {
  train: "Train",
  evaluate: "Evaluate (quality gate)",
  register: "Register in the registry",
  deploy: "Deploy",
};

const COLORS: Record<Step["status"], MantineColor> = {
  pending: "gray",
  running: "blue",
  succeeded: "green",
  failed: "red",
  skipped: "gray",
  cancelled: "gray",
};

function Bullet({ status }: { status: Step["status"] }) {
  switch (status) {
    case "running":
      return <Loader size={12} color="white" aria-hidden />;
    case "succeeded":
      return <IconCheck size={14} aria-hidden />;
    case "failed":
      return <IconX size={14} aria-hidden />;
    case "skipped":
      return <IconPlayerSkipForward size={12} aria-hidden />;
    case "cancelled":
      return <IconPlayerStop size={12} aria-hidden />;
    default:
      return <IconClock size={12} aria-hidden />;
  }
}

function seconds(step: Step, now: number): number | null {
  if (!step.started_at) return null;
  const end = step.ended_at ? new Date(step.ended_at).getTime() : now;
  return Math.max(0, (end - new Date(step.started_at).getTime()) / 1000);
}

/** The pipeline's steps in order (train → evaluate → register → deploy), each with its status and times. */
export function StepTimeline({ steps }: { steps: Step[] }) {
  const now = Date.now();
  const reached = steps.reduce((last, step, index) => (step.started_at ? index : last), -1);
  return (
    <Timeline active={reached} bulletSize={24} lineWidth={2}>
      {steps.map((step) => (
        <Timeline.Item
          key={step.name}
          color={COLORS[step.status]}
          bullet={<Bullet status={step.status} />}
          lineVariant={step.status === "pending" ? "dashed" : "solid"}
          title={
            <Group gap="xs">
              <Text fw={600} size="sm">
                {TITLES[step.name]}
              </Text>
              <StatusBadge status={step.status} />
            </Group>
          }
        >
          {step.started_at && (
            <Text size="xs" c="dimmed">
              {formatDate(step.started_at)}
              {step.ended_at ? ` · took ${formatDuration(seconds(step, now))}` : " · in progress"}
            </Text>
          )}
          {step.detail && (
            <Text size="sm" mt={4} style={{ overflowWrap: "anywhere" }}>
              {step.detail}
            </Text>
          )}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
