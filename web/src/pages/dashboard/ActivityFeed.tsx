import { Anchor, Button, Group, Stack, Text, ThemeIcon, type MantineColor } from "@mantine/core";
import {
  IconAlertTriangle,
  IconBox,
  IconCircleCheck,
  IconCircleX,
  IconHistory,
  IconInfoCircle,
  IconPlayerPlay,
  IconRocket,
  IconSettings,
} from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { Link } from "react-router";

import { keys } from "../../api/keys";
import { formatDate, timeAgo } from "../../components/format";
import { Empty, QueryState } from "../../components/Page";
import { useLiveEvents } from "../../live/LiveProvider";
import { describeEvent, isNoisy, mergeEvents, type ActivityEvent, type Names, type Tone } from "./activity";
import classes from "./dashboard.module.css";
import { useModelTypeTitles, useRecentEvents, useRecentRuns } from "./queries";

const FEED_SIZE = 20;
/** Shown before "Show more", so the feed does not outgrow the page. */
const FIRST_SHOWN = 8;

const TONES: Record<Tone, { color: MantineColor; icon: ReactNode }> = {
  run: { color: "blue", icon: <IconPlayerPlay size={16} aria-hidden /> },
  success: { color: "green", icon: <IconCircleCheck size={16} aria-hidden /> },
  failure: { color: "red", icon: <IconCircleX size={16} aria-hidden /> },
  registry: { color: "indigo", icon: <IconBox size={16} aria-hidden /> },
  deployment: { color: "cyan", icon: <IconRocket size={16} aria-hidden /> },
  alert: { color: "orange", icon: <IconAlertTriangle size={16} aria-hidden /> },
  settings: { color: "gray", icon: <IconSettings size={16} aria-hidden /> },
  neutral: { color: "gray", icon: <IconInfoCircle size={16} aria-hidden /> },
};

/** The clock the "time ago" labels read; it ticks every 30 s (a re-render, never a refetch). */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function useNames(): Names {
  const titles = useModelTypeTitles();
  const runs = useRecentRuns();
  const byJob: Names["runs"] = {};
  for (const run of runs.data?.items ?? []) byJob[run.job_id] = { model_name: run.model_name, model_type: run.model_type };
  return { modelTypes: titles.data ?? {}, runs: byJob };
}

/** What happened lately, as sentences, newest first; new events arrive live at the top. */
export function ActivityFeed() {
  const client = useQueryClient();
  const events = useRecentEvents();
  const names = useNames();
  const now = useNow();
  const [all, setAll] = useState(false);

  useLiveEvents((event) => {
    if (isNoisy(event.type)) return;
    const fresh: ActivityEvent = { ...event, actor: event.actor ?? null };
    client.setQueryData<ActivityEvent[]>(keys.activity, (known) =>
      known ? mergeEvents([fresh], known, FEED_SIZE) : known,
    );
  });

  return (
    <QueryState query={events} label="recent activity">
      {() => {
        const described = (events.data ?? []).map((event) => describeEvent(event, names)).filter((a) => a !== null);
        const items = all ? described : described.slice(0, FIRST_SHOWN);
        if (items.length === 0) {
          return (
            <Empty icon={<IconHistory size={32} aria-hidden color="var(--mantine-color-dimmed)" />} title="Nothing has happened yet">
              Runs, new model versions, deployments and alerts show up here as they happen.
            </Empty>
          );
        }
        return (
          <>
            <ul className={classes.feed} aria-live="polite" aria-relevant="additions">
              {items.map((item) => {
                const tone = TONES[item.tone];
                return (
                  <li key={item.id} className={classes.feedItem}>
                    <Group gap="sm" wrap="nowrap" align="flex-start" py="xs">
                      <ThemeIcon variant="light" color={tone.color} radius="xl" size="md" aria-hidden>
                        {tone.icon}
                      </ThemeIcon>
                      <Stack gap={2} style={{ minWidth: 0, flex: 1 }}>
                        <Text size="sm">
                          {item.link ? (
                            <Anchor component={Link} to={item.link.to} inherit>
                              {item.sentence}
                            </Anchor>
                          ) : (
                            item.sentence
                          )}
                        </Text>
                        {item.detail && (
                          <Text size="xs" c="dimmed" lineClamp={2}>
                            {item.detail}
                          </Text>
                        )}
                        <Text size="xs" c="dimmed">
                          <time dateTime={item.time} title={formatDate(item.time)}>
                            {timeAgo(item.time, now)}
                          </time>
                        </Text>
                      </Stack>
                    </Group>
                  </li>
                );
              })}
            </ul>
            {described.length > FIRST_SHOWN && (
              <Button variant="subtle" size="xs" mt="xs" onClick={() => setAll(!all)}>
                {all ? "Show less" : `Show ${described.length - FIRST_SHOWN} more`}
              </Button>
            )}
          </>
        );
      }}
    </QueryState>
  );
}
