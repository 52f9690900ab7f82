import { Button, Group, Select, Stack, Text, ThemeIcon, Timeline, VisuallyHidden } from "@mantine/core";
import {
  IconArchive,
  IconArrowBackUp,
  IconPackage,
  IconStairsUp,
  IconTag,
  IconTagOff,
} from "@tabler/icons-react";
import { type ReactNode, useState } from "react";

import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, timeAgo } from "../../components/format";
import { actionLabel, type ChangeView } from "./data";

const ICONS: Record<string, ReactNode> = {
  register: <IconPackage size={14} aria-hidden />,
  promote: <IconStairsUp size={14} aria-hidden />,
  rollback: <IconArrowBackUp size={14} aria-hidden />,
  archive: <IconArchive size={14} aria-hidden />,
  replaced: <IconArchive size={14} aria-hidden />,
  alias_set: <IconTag size={14} aria-hidden />,
  alias_removed: <IconTagOff size={14} aria-hidden />,
};

const COLORS: Record<string, string> = {
  register: "indigo",
  promote: "blue",
  rollback: "orange",
  archive: "gray",
  replaced: "gray",
  alias_set: "teal",
  alias_removed: "gray",
};

const PAGE = 6;

/** Every change of every version (or of one), newest first, with who and when. */
export function VersionTimeline({ timeline, versions }: { timeline: ChangeView[]; versions: number[] }) {
  const [version, setVersion] = useState<string>("all");
  const [shown, setShown] = useState(PAGE);
  const changes = timeline
    .filter((change) => version === "all" || String(change.version) === version)
    .slice()
    .sort((a, b) => b.at.localeCompare(a.at));

  return (
    <Stack gap="md">
      <Select
        label="Changes of"
        data={[{ value: "all", label: "All versions" }, ...versions.map((v) => ({ value: String(v), label: `Version ${v}` }))]}
        value={version}
        onChange={(value) => {
          setVersion(value ?? "all");
          setShown(PAGE);
        }}
        allowDeselect={false}
        maw={260}
      />
      {changes.length === 0 ? (
        <Text size="sm" c="dimmed">No changes recorded.</Text>
      ) : (
        <Timeline bulletSize={26} lineWidth={2}>
          {changes.slice(0, shown).map((change, index) => (
            <Timeline.Item
              key={`${change.model_id}-${change.at}-${change.action}-${index}`}
              bullet={
                <ThemeIcon size={26} radius="xl" variant="light" color={COLORS[change.action] ?? "gray"}>
                  {ICONS[change.action] ?? <IconPackage size={14} aria-hidden />}
                </ThemeIcon>
              }
              title={<Text fw={600} size="sm">{actionLabel(change)}</Text>}
            >
              <Stack gap={4} mt={4}>
                {change.from_status && change.from_status !== change.to_status && (
                  <Group gap={6}>
                    <StatusBadge status={change.from_status} size="xs" />
                    <Text size="xs" c="dimmed" aria-hidden>→</Text>
                    <VisuallyHidden>to</VisuallyHidden>
                    <StatusBadge status={change.to_status} size="xs" />
                  </Group>
                )}
                {change.note && <Text size="sm">{change.note}</Text>}
                <Text size="xs" c="dimmed">
                  by {change.actor} · <span title={formatDate(change.at)}>{timeAgo(change.at)}</span> ({formatDate(change.at)})
                </Text>
              </Stack>
            </Timeline.Item>
          ))}
        </Timeline>
      )}
      {changes.length > shown && (
        <Button variant="subtle" onClick={() => setShown(shown + PAGE * 2)} style={{ alignSelf: "flex-start" }}>
          Show older changes ({changes.length - shown} more)
        </Button>
      )}
    </Stack>
  );
}
