import { Box, Button, Group, Highlight, Stack, Switch, Text, TextInput } from "@mantine/core";
import { IconDownload, IconSearch } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { describe } from "../../api/problem";
import { QueryState } from "../../components/Page";
import { logLines, matchLines, toLogChunk, type LogChunk } from "./log";

const EARLIER_BYTES = 65536;

function fetchLog(jobId: string, query: { offset?: number; limit?: number } = {}) {
  return unwrap(api.GET("/api/workflows/runs/{job_id}/logs", { params: { path: { job_id: jobId }, query } })).then(toLogChunk);
}

function lineColor(line: string): string | undefined {
  if (/\b(ERROR|CRITICAL|Traceback)\b/.test(line)) return "var(--mantine-color-red-text)";
  if (/\bWARNING\b/.test(line)) return "var(--mantine-color-yellow-text)";
  if (line.includes("[platform]")) return "var(--mantine-color-dimmed)";
  return undefined;
}

/** The run's log: its tail, growing live; follow, search and download. */
export function LogView({ jobId }: { jobId: string }) {
  const client = useQueryClient();
  const log = useQuery({ queryKey: keys.runLogs(jobId), queryFn: () => fetchLog(jobId) });
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState("");
  const viewport = useRef<HTMLDivElement>(null);

  const text = log.data?.text ?? "";
  const lines = useMemo(() => logLines(text), [text]);
  const shown = useMemo(() => matchLines(lines, search), [lines, search]);
  const searching = search.trim() !== "";

  useEffect(() => {
    const element = viewport.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [follow, text, search]);

  const earlier = useMutation({
    mutationFn: async () => {
      const current = log.data;
      if (!current || current.offset === 0) return null;
      const start = Math.max(0, current.offset - EARLIER_BYTES);
      return fetchLog(jobId, { offset: start, limit: current.offset - start });
    },
    onSuccess: (chunk) => {
      if (!chunk) return;
      client.setQueryData<LogChunk>(keys.runLogs(jobId), (current) => {
        if (!current || chunk.offset >= current.offset) return current;
        let before = chunk.text.slice(0, Math.max(0, current.offset - chunk.offset));
        let offset = chunk.offset;
        if (offset > 0) {
          // Started mid-line: keep whole lines only.
          const cut = before.indexOf("\n") + 1;
          offset += new TextEncoder().encode(before.slice(0, cut)).length;
          before = before.slice(cut);
        }
        return { ...current, text: before + current.text, offset };
      });
    },
  });

  return (
    <Stack gap="sm" component="section" aria-label="Run log">
      <Group justify="space-between" align="flex-end" gap="sm">
        <Group gap="md" align="flex-end">
          <TextInput
            label="Search the log"
            placeholder="error, epoch, …"
            leftSection={<IconSearch size={16} aria-hidden />}
            value={search}
            onChange={(event) => setSearch(event.currentTarget.value)}
            w={{ base: "100%", xs: 260 }}
          />
          <Switch label="Follow" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} mb={8} />
        </Group>
        <Button
          component="a"
          href={`/api/workflows/runs/${encodeURIComponent(jobId)}/logs?download=true`}
          download={`run-${jobId}.log`}
          variant="default"
          leftSection={<IconDownload size={16} aria-hidden />}
        >
          Download log
        </Button>
      </Group>
      <QueryState query={log} label="the log">
        {() => (
          <Stack gap={6}>
            {(log.data?.offset ?? 0) > 0 && (
              <Group gap="xs">
                <Text size="xs" c="dimmed">
                  Showing the end of the log.
                </Text>
                <Button variant="subtle" size="compact-xs" loading={earlier.isPending} onClick={() => earlier.mutate()}>
                  Show earlier lines
                </Button>
                {earlier.isError && (
                  <Text size="xs" c="red">
                    {describe(earlier.error)}
                  </Text>
                )}
              </Group>
            )}
            <Box
              ref={viewport}
              className="log-view"
              role="log"
              aria-live="off"
              aria-label="Log lines"
              tabIndex={0}
              onScroll={(event) => {
                // Scrolling up to read stops following; scrolling back to the end follows again.
                const element = event.currentTarget;
                const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
                if (atEnd !== follow) setFollow(atEnd);
              }}
              p="sm"
              mah={440}
              mih={120}
              style={{
                overflowY: "auto",
                borderRadius: "var(--mantine-radius-md)",
                border: "1px solid var(--mantine-color-default-border)",
                background: "var(--mantine-color-default-hover)",
              }}
            >
              {lines.length === 0 ? (
                <Text size="xs" c="dimmed" className="log-view">
                  {log.data?.complete ? "This run wrote nothing to its log." : "The log starts when the run does."}
                </Text>
              ) : shown.length === 0 ? (
                <Text size="xs" c="dimmed" className="log-view">
                  No line contains “{search.trim()}”.
                </Text>
              ) : (
                shown.map(({ line, index }) =>
                  searching ? (
                    <Highlight key={index} component="div" highlight={search.trim()} className="log-view" c={lineColor(line)}>
                      {line}
                    </Highlight>
                  ) : (
                    <div key={index} style={{ color: lineColor(line) }}>
                      {line || "\u00a0"}
                    </div>
                  ),
                )
              )}
            </Box>
            <Text size="xs" c="dimmed" aria-live={searching ? "polite" : undefined}>
              {searching
                ? `${shown.length} of ${lines.length} lines contain “${search.trim()}”.`
                : `${lines.length} line${lines.length === 1 ? "" : "s"}${log.data?.complete ? " — the run has ended, the log is complete." : ""}`}
            </Text>
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}
