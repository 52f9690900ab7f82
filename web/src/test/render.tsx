import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, type RenderResult } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";

import { theme } from "../theme";

/** Render with the app's providers (theme, notifications, a fresh query cache, a router). */
export function renderWithProviders(
  ui: ReactElement,
  { route = "/", client }: { route?: string; client?: QueryClient } = {},
): RenderResult & { client: QueryClient } {
  const queryClient = client ?? new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const result = render(
    <MantineProvider theme={theme}>
      <Notifications />
      <QueryClientProvider client={queryClient}>
        <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return { ...result, client: queryClient };
}
