import {
  Anchor,
  Badge,
  Button,
  CloseButton,
  Drawer,
  Group,
  Pagination,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { IconBellCheck, IconCheck, IconEye, IconRocket } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useCan } from "../../auth/AuthProvider";
import { formatDate, formatNumber, shortId, timeAgo } from "../../components/format";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { StatusBadge } from "../../components/StatusBadge";
import { AlertActionModal, type AlertAction } from "./AlertActionModal";
import { AlertDetails } from "./AlertDetails";
import { alertTitle, sentence, TYPE_TITLES, type AlertStatus, type AlertType, type AlertView } from "./alertText";

const PAGE_SIZE = 25;

const STATUSES: { value: AlertStatus | "all"; label: string }[] = [
  { value: "all", label: "All" },
  { value: "open", label: "Open" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
];

const TYPES = [
  { value: "all", label: "All types" },
  ...Object.entries(TYPE_TITLES).map(([value, label]) => ({ value, label })),
];

function isStatus(value: string | null): value is AlertStatus {
  return value === "open" || value === "acknowledged" || value === "resolved";
}

function isType(value: string | null): value is AlertType {
  return value !== null && value in TYPE_TITLES;
}

interface Handlers {
  canEdit: boolean;
  onDetails: (alert: AlertView) => void;
  onAction: (alert: AlertView, action: AlertAction) => void;
}

function ActionButtons({ alert, canEdit, onAction }: { alert: AlertView } & Pick<Handlers, "canEdit" | "onAction">) {
  if (!canEdit) return null;
  return (
    <>
      {alert.status === "open" && (
        <Button size="xs" variant="default" leftSection={<IconEye size={14} aria-hidden />} onClick={() => onAction(alert, "acknowledge")}>
          Acknowledge
        </Button>
      )}
      {alert.status !== "resolved" && (
        <Button size="xs" variant="default" leftSection={<IconCheck size={14} aria-hidden />} onClick={() => onAction(alert, "resolve")}>
          Resolve
        </Button>
      )}
    </>
  );
}

function AlertCard({ alert, canEdit, onDetails, onAction }: { alert: AlertView } & Handlers) {
  const titleId = useId();
  return (
    <Paper withBorder radius="md" p="md" component="article" aria-labelledby={titleId}>
      <Stack gap={6}>
        <Group justify="space-between" align="flex-start" gap="xs">
          <Group gap="xs" align="center">
            <StatusBadge status={alert.severity} />
            <Title order={2} fz="md" id={titleId}>
              {alertTitle(alert.alert_type)}
            </Title>
            <StatusBadge status={alert.status} />
          </Group>
        </Group>
        <Text size="sm" style={{ overflowWrap: "anywhere" }}>
          {sentence(alert.message)}
        </Text>
        <Group gap="md" wrap="wrap">
          {alert.model_name && (
            <Anchor component={Link} to={`/models/${encodeURIComponent(alert.model_name)}`} size="sm">
              Model {alert.model_name}
            </Anchor>
          )}
          {alert.deployment_id && (
            <Anchor component={Link} to={`/deployments/${alert.deployment_id}`} size="sm">
              Deployment {shortId(alert.deployment_id)}
            </Anchor>
          )}
          <Text size="sm" c="dimmed">
            First seen <span title={formatDate(alert.timestamp)}>{timeAgo(alert.timestamp)}</span> · last seen{" "}
            <span title={formatDate(alert.last_seen_at)}>{timeAgo(alert.last_seen_at)}</span> · {formatNumber(alert.occurrences)}{" "}
            occurrence{alert.occurrences === 1 ? "" : "s"}
          </Text>
        </Group>
        {(alert.acknowledged_by || alert.resolved_by) && (
          <Text size="xs" c="dimmed">
            {alert.resolved_by
              ? `Resolved by ${alert.resolved_by}${alert.resolve_note ? `: “${alert.resolve_note}”` : ""}`
              : `Acknowledged by ${alert.acknowledged_by}${alert.acknowledge_note ? `: “${alert.acknowledge_note}”` : ""}`}
          </Text>
        )}
        <Group gap="xs" mt={4}>
          <Button size="xs" variant="light" onClick={() => onDetails(alert)}>
            Details
          </Button>
          <ActionButtons alert={alert} canEdit={canEdit} onAction={onAction} />
        </Group>
      </Stack>
    </Paper>
  );
}

function DetailsDrawer({ alertId, onClose, canEdit, onAction }: { alertId: string | null; onClose: () => void } & Pick<Handlers, "canEdit" | "onAction">) {
  const phone = useMediaQuery("(max-width: 36em)");
  const query = useQuery({
    queryKey: keys.alert(alertId ?? ""),
    queryFn: () => unwrap(api.GET("/api/alerts/{alert_id}", { params: { path: { alert_id: alertId ?? "" } } })),
    enabled: alertId !== null,
  });
  return (
    <Drawer
      opened={alertId !== null}
      onClose={onClose}
      position="right"
      size={phone ? "100%" : "lg"}
      title={query.data ? alertTitle(query.data.alert_type) : "Alert"}
      closeButtonProps={{ "aria-label": "Close details" }}
    >
      <QueryState query={query} label="the alert">
        {() =>
          query.data && (
            <AlertDetails
              alert={query.data}
              actions={<ActionButtons alert={query.data} canEdit={canEdit} onAction={onAction} />}
            />
          )
        }
      </QueryState>
    </Drawer>
  );
}

function NoAlerts() {
  return (
    <Paper withBorder radius="md">
      <Empty
        icon={<IconBellCheck size={40} stroke={1.5} aria-hidden />}
        title="No alerts"
        action={
          <Button component={Link} to="/deployments" variant="default" leftSection={<IconRocket size={16} aria-hidden />} mt="sm">
            See deployments
          </Button>
        }
      >
        All quiet. The platform raises an alert when a deployed model’s inputs drift away from its training data (or its
        confidence drops), when a replica dies and is restarted, or when a deployment fails. Alerts show here and as a
        count next to Alerts in the menu.
      </Empty>
    </Paper>
  );
}

/** Every alert, newest first: filter, read the details, acknowledge and resolve. */
export function Alerts() {
  const canEdit = useCan("editor");
  const [params, setParams] = useSearchParams();
  const [detailsId, setDetailsId] = useState<string | null>(null);
  const [acting, setActing] = useState<{ alert: AlertView; action: AlertAction } | null>(null);
  const statusLabel = useId();

  const rawStatus = params.get("status");
  const rawType = params.get("alert_type");
  const status = isStatus(rawStatus) ? rawStatus : undefined;
  const alertType = isType(rawType) ? rawType : undefined;
  const deploymentId = params.get("deployment_id") ?? undefined;
  const modelName = params.get("model_name") ?? undefined;
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);

  const update = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === "" || value === "all") next.delete(key);
      else next.set(key, value);
    }
    if (!("page" in changes)) next.delete("page");
    setParams(next, { replace: true });
  };

  const filters = { status, alert_type: alertType, deployment_id: deploymentId, model_name: modelName };
  const query = useQuery({
    queryKey: keys.alerts({ ...filters, page }),
    queryFn: () =>
      unwrap(api.GET("/api/alerts", { params: { query: { ...filters, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const filtered = Object.values(filters).some((value) => value !== undefined);
  const handlers: Handlers = {
    canEdit,
    onDetails: (alert) => setDetailsId(alert.alert_id),
    onAction: (alert, action) => setActing({ alert, action }),
  };

  return (
    <>
      <PageHeader
        title="Alerts"
        description="What needs a look in production: drift, restarted replicas and failed deployments."
      />
      <Stack gap="md">
        <Group gap="lg" align="flex-end" wrap="wrap">
          <Stack gap={4}>
            <Text size="sm" fw={500} id={statusLabel}>
              Status
            </Text>
            <SegmentedControl
              aria-labelledby={statusLabel}
              value={status ?? "all"}
              onChange={(value) => update({ status: value })}
              data={STATUSES}
            />
          </Stack>
          <Select
            label="Type"
            data={TYPES}
            value={alertType ?? "all"}
            onChange={(value) => update({ alert_type: value ?? undefined })}
            allowDeselect={false}
            w={200}
          />
        </Group>
        {(deploymentId || modelName) && (
          <Group gap="xs">
            <Text size="sm">Only alerts of</Text>
            {deploymentId && (
              <Badge
                variant="light"
                radius="sm"
                rightSection={<CloseButton size="xs" aria-label="Show alerts of every deployment" onClick={() => update({ deployment_id: undefined })} />}
              >
                deployment {shortId(deploymentId)}
              </Badge>
            )}
            {modelName && (
              <Badge
                variant="light"
                radius="sm"
                rightSection={<CloseButton size="xs" aria-label="Show alerts of every model" onClick={() => update({ model_name: undefined })} />}
              >
                model {modelName}
              </Badge>
            )}
          </Group>
        )}
        <QueryState query={query} label="alerts">
          {() => {
            const data = query.data;
            if (!data) return null;
            if (data.total === 0 && !filtered) return <NoAlerts />;
            if (data.items.length === 0) {
              return (
                <Paper withBorder radius="md">
                  <Empty
                    title="No alerts match"
                    action={
                      <Button variant="default" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
                        Show every alert
                      </Button>
                    }
                  >
                    Nothing with these filters. Try another status or type.
                  </Empty>
                </Paper>
              );
            }
            const pages = Math.ceil(data.total / PAGE_SIZE);
            return (
              <Stack gap="sm">
                <Text size="sm" c="dimmed">
                  {formatNumber(data.total)} alert{data.total === 1 ? "" : "s"}
                  {pages > 1 ? ` · page ${page} of ${pages}` : ""}
                </Text>
                {data.items.map((alert) => (
                  <AlertCard key={alert.alert_id} alert={alert} {...handlers} />
                ))}
                {pages > 1 && (
                  <Pagination
                    total={pages}
                    value={page}
                    onChange={(value) => update({ page: String(value) })}
                    getControlProps={(control) => ({ "aria-label": `${control} page` })}
                  />
                )}
              </Stack>
            );
          }}
        </QueryState>
      </Stack>
      <DetailsDrawer alertId={detailsId} onClose={() => setDetailsId(null)} canEdit={canEdit} onAction={handlers.onAction} />
      {acting && <AlertActionModal alert={acting.alert} action={acting.action} onClose={() => setActing(null)} />}
    </>
  );
}
