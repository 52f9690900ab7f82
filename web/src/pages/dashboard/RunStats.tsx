import { SimpleGrid } from "@mantine/core";
import { IconCircleCheck, IconCircleX, IconPlayerPlay } from "@tabler/icons-react";

import { formatNumber } from "../../components/format";
import { useRunCount } from "./queries";
import { StatCard } from "./StatCard";

function count(value: number | undefined, isError: boolean): string {
  if (isError) return "—";
  return formatNumber(value ?? 0);
}

/** Running, succeeded and failed runs: each card is the count and a link to those runs. */
export function RunStats() {
  const running = useRunCount("running");
  const queued = useRunCount("queued");
  const succeeded = useRunCount("succeeded");
  const failed = useRunCount("failed");
  const waiting = queued.data ?? 0;

  return (
    <SimpleGrid cols={3} spacing={{ base: "xs", sm: "md" }}>
      <StatCard
        testId="stat-running"
        label="Running"
        value={count(running.data, running.isError)}
        loading={running.isPending}
        icon={<IconPlayerPlay size={18} aria-hidden />}
        color="blue"
        compact
        to="/runs?status=running"
        hint={waiting > 0 ? `${formatNumber(waiting)} waiting in the queue` : "Training right now"}
      />
      <StatCard
        testId="stat-succeeded"
        label="Succeeded"
        value={count(succeeded.data, succeeded.isError)}
        loading={succeeded.isPending}
        icon={<IconCircleCheck size={18} aria-hidden />}
        color="green"
        compact
        to="/runs?status=succeeded"
        hint="Trained and registered"
      />
      <StatCard
        testId="stat-failed"
        label="Failed"
        value={count(failed.data, failed.isError)}
        loading={failed.isPending}
        icon={<IconCircleX size={18} aria-hidden />}
        color="red"
        compact
        to="/runs?status=failed"
        hint={(failed.data ?? 0) > 0 ? "Open them to see what went wrong" : "Nothing went wrong"}
      />
    </SimpleGrid>
  );
}
