import { Alert, Button, Group, Text } from "@mantine/core";
import { IconPlugConnectedX } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";

import { applyEvent, LiveLink, type LinkStatus, type LiveEvent } from "./events";

type Listener = (event: LiveEvent) => void;

interface Live {
  status: LinkStatus;
  /** Hear every event as it arrives (activity feeds, toasts); returns the unsubscribe. */
  listen: (listener: Listener) => () => void;
  reconnect: () => void;
}

const LiveContext = createContext<Live>({
  status: "connecting",
  listen: () => () => undefined,
  reconnect: () => undefined,
});

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Hear live events for as long as the calling component is mounted. */
export function useLiveEvents(listener: Listener): void {
  const { listen } = useLive();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => listen((event) => latest.current(event)), [listen]);
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<LinkStatus>("connecting");
  const listeners = useRef(new Set<Listener>());
  const link = useRef<LiveLink | null>(null);

  useEffect(() => {
    const live = new LiveLink({
      onEvent: (event) => {
        applyEvent(client, event);
        listeners.current.forEach((listener) => listener(event));
      },
      onStale: () => void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== "me" }),
      onStatus: setStatus,
    });
    link.current = live;
    live.start();
    return () => live.stop();
  }, [client]);

  const [value] = useState<Omit<Live, "status">>(() => ({
    listen: (listener: Listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
    reconnect: () => link.current?.reconnect(),
  }));

  return <LiveContext.Provider value={{ ...value, status }}>{children}</LiveContext.Provider>;
}

/** Shown while the live link is down: the page may be stale until it comes back. */
export function LinkBanner() {
  const { status, reconnect } = useLive();
  const [show, setShow] = useState(false);
  useEffect(() => {
    if (status !== "down") {
      setShow(false);
      return;
    }
    const timer = setTimeout(() => setShow(true), 1500); // a blink is not worth a banner
    return () => clearTimeout(timer);
  }, [status]);
  if (!show) return null;
  return (
    <Alert
      color="orange"
      variant="filled"
      radius={0}
      icon={<IconPlugConnectedX size={18} aria-hidden />}
      role="status"
      aria-live="polite"
      data-testid="link-banner"
    >
      <Group justify="space-between" wrap="nowrap">
        <Text size="sm">
          Live updates are paused: the connection to the platform is down. Reconnecting… what you
          see may be out of date.
        </Text>
        <Button size="xs" variant="white" color="orange" onClick={reconnect}>
          Reconnect now
        </Button>
      </Group>
    </Alert>
  );
}
