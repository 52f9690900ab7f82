import {
  ActionIcon,
  AppShell,
  Avatar,
  Badge,
  Burger,
  Center,
  Group,
  Loader,
  Menu,
  NavLink,
  ScrollArea,
  Text,
  Tooltip,
  UnstyledButton,
  useComputedColorScheme,
  useMantineColorScheme,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import {
  IconBell,
  IconBox,
  IconChevronDown,
  IconKey,
  IconLayoutDashboard,
  IconListDetails,
  IconLogout,
  IconMoon,
  IconPlayerPlay,
  IconRocket,
  IconSettings,
  IconSun,
  IconUser,
  IconUsers,
} from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Suspense, type ReactNode } from "react";
import { Link, Outlet, useLocation, useNavigate } from "react-router";

import { api, unwrap } from "../api/client";
import { keys } from "../api/keys";
import { useAuth, useCan } from "../auth/AuthProvider";
import { notifyError } from "../components/notify";
import { LinkBanner, useLive } from "../live/LiveProvider";

interface Item {
  to: string;
  label: string;
  icon: ReactNode;
  badge?: ReactNode;
}

function useOpenAlerts(): number {
  const query = useQuery({
    queryKey: keys.alerts({ status: "open", count: true }),
    queryFn: () => unwrap(api.GET("/api/alerts", { params: { query: { status: "open", limit: 1 } } })),
  });
  return (query.data as { total?: number } | undefined)?.total ?? 0;
}

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const isAdmin = useCan("admin");
  const isEditor = useCan("editor");
  const openAlerts = useOpenAlerts();

  const items: Item[] = [
    { to: "/", label: "Dashboard", icon: <IconLayoutDashboard size={18} aria-hidden /> },
    ...(isEditor ? [{ to: "/workflows/new", label: "New workflow", icon: <IconPlayerPlay size={18} aria-hidden /> }] : []),
    { to: "/runs", label: "Runs", icon: <IconListDetails size={18} aria-hidden /> },
    { to: "/models", label: "Registry", icon: <IconBox size={18} aria-hidden /> },
    { to: "/deployments", label: "Deployments", icon: <IconRocket size={18} aria-hidden /> },
    {
      to: "/alerts",
      label: "Alerts",
      icon: <IconBell size={18} aria-hidden />,
      badge: openAlerts > 0 ? (
        <Badge size="sm" color="red" circle aria-label={`${openAlerts} open alerts`}>
          {openAlerts}
        </Badge>
      ) : undefined,
    },
    { to: "/settings", label: "Settings", icon: <IconSettings size={18} aria-hidden /> },
  ];
  const admin: Item[] = [
    { to: "/admin/users", label: "Users", icon: <IconUsers size={18} aria-hidden /> },
    { to: "/admin/tokens", label: "API tokens", icon: <IconKey size={18} aria-hidden /> },
  ];
  const active = (to: string) => (to === "/" ? location.pathname === "/" : location.pathname.startsWith(to));

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding={{ base: "sm", sm: "lg" }}
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Open navigation" />
            <UnstyledButton component={Link} to="/" aria-label="MLOps platform, dashboard">
              <Group gap={8} wrap="nowrap">
                <img src="/favicon.svg" alt="" width={26} height={26} />
                <Text fw={700} visibleFrom="xs">
                  MLOps
                </Text>
              </Group>
            </UnstyledButton>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <LiveDot />
            <ThemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          {items.map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              leftSection={item.icon}
              rightSection={item.badge}
              active={active(item.to)}
              aria-current={active(item.to) ? "page" : undefined}
              onClick={close}
            />
          ))}
          {isAdmin && (
            <>
              <Text size="xs" fw={600} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4}>
                Admin
              </Text>
              {admin.map((item) => (
                <NavLink
                  key={item.to}
                  component={Link}
                  to={item.to}
                  label={item.label}
                  leftSection={item.icon}
                  active={active(item.to)}
                  aria-current={active(item.to) ? "page" : undefined}
                  onClick={close}
                />
              ))}
            </>
          )}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <LinkBanner />
        <main id="main" tabIndex={-1} style={{ outline: "none" }}>
          <Suspense
            fallback={
              <Center py="xl">
                <Loader size="sm" aria-label="Loading the page" />
              </Center>
            }
          >
            <Outlet />
          </Suspense>
        </main>
      </AppShell.Main>
    </AppShell>
  );
}

function LiveDot() {
  const { status } = useLive();
  const label =
    status === "open" ? "Live: updates arrive as they happen" : status === "connecting" ? "Connecting for live updates" : "Live updates paused";
  const color = status === "open" ? "green" : status === "connecting" ? "gray" : "orange";
  return (
    <Tooltip label={label}>
      <Badge variant="dot" color={color} size="lg" aria-label={label} data-testid="live-status" data-status={status}>
        {status === "open" ? "Live" : status === "connecting" ? "…" : "Offline"}
      </Badge>
    </Tooltip>
  );
}

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme("light");
  const next = scheme === "dark" ? "light" : "dark";
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon variant="default" size="lg" onClick={() => setColorScheme(next)} aria-label={`Switch to ${next} theme`}>
        {scheme === "dark" ? <IconSun size={18} aria-hidden /> : <IconMoon size={18} aria-hidden />}
      </ActionIcon>
    </Tooltip>
  );
}

function UserMenu() {
  const { me, signOut } = useAuth();
  const navigate = useNavigate();
  if (!me) return null;
  return (
    <Menu position="bottom-end" width={220} withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`${me.username}: user menu`} data-testid="user-menu">
          <Group gap={6} wrap="nowrap">
            <Avatar size={30} radius="xl" color="blue" aria-hidden>
              <IconUser size={18} />
            </Avatar>
            <Text size="sm" fw={500} visibleFrom="sm">
              {me.username}
            </Text>
            <IconChevronDown size={14} aria-hidden />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          Signed in as {me.username} ({me.role})
        </Menu.Label>
        <Menu.Item leftSection={<IconKey size={16} aria-hidden />} component={Link} to="/tokens">
          My API tokens
        </Menu.Item>
        <Menu.Item leftSection={<IconSettings size={16} aria-hidden />} component={Link} to="/settings">
          Settings
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item
          color="red"
          leftSection={<IconLogout size={16} aria-hidden />}
          onClick={() =>
            signOut()
              .then(() => navigate("/signin"))
              .catch(notifyError)
          }
        >
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
