import { Center, Grid, Loader, Stack, Title } from "@mantine/core";
import { useLocalStorage } from "@mantine/hooks";
import type { ReactNode } from "react";

import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/Page";
import { ActivityFeed } from "./ActivityFeed";
import { DeployedModels } from "./DeployedModels";
import { GetStarted } from "./GetStarted";
import { MetricStats } from "./MetricStats";
import { useDeployments, useModels, useRecentRuns, useRunCount } from "./queries";
import { QuickLinks } from "./QuickLinks";
import { RunStats } from "./RunStats";

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id}>
      <Title order={2} id={id} fz="lg" mb="sm">
        {title}
      </Title>
      {children}
    </section>
  );
}

/** Where everyone lands: how training and serving are going, what happened lately, and where to go next. */
export function Dashboard() {
  const { me } = useAuth();
  const runs = useRecentRuns();
  const succeeded = useRunCount("succeeded");
  const models = useModels();
  const deployments = useDeployments();
  const [guideHidden, setGuideHidden] = useLocalStorage({
    key: "mlops.dashboard.guide-hidden",
    defaultValue: false,
    getInitialValueInEffect: false,
  });

  const ready = !runs.isPending && !models.isPending && !deployments.isPending;
  const anyRuns = (runs.data?.total ?? 0) > 0;
  const registered = (models.data?.total ?? 0) > 0;
  const deployed = (deployments.data?.items ?? []).some((d) => d.status !== "deleted");
  const brandNew = ready && !anyRuns && !registered && !deployed;
  const trained = (succeeded.data ?? 0) > 0 || registered;
  const showGuide = ready && !deployed && (brandNew || !guideHidden);

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={
          brandNew
            ? `Welcome${me ? `, ${me.username}` : ""}! Nothing is trained yet — here is how to get your first model into production.`
            : `Welcome back${me ? `, ${me.username}` : ""}. Here is how training and your deployed models are doing.`
        }
      />
      <QuickLinks />
      {!ready && !runs.isError && !models.isError && !deployments.isError ? (
        <Center py="xl">
          <Loader size="sm" aria-label="Loading the dashboard" />
        </Center>
      ) : (
        <Stack gap="xl">
          {showGuide && (
            <GetStarted
              trained={trained}
              registered={registered}
              deployed={deployed}
              onHide={brandNew ? undefined : () => setGuideHidden(true)}
            />
          )}
          {!brandNew && (
            <>
              <Section id="dashboard-runs" title="Training runs">
                <RunStats />
              </Section>
              <Section id="dashboard-health" title="Serving in the last 24 hours">
                <MetricStats />
              </Section>
            </>
          )}
          <Grid gap="xl">
            {!brandNew && (
              <Grid.Col span={{ base: 12, lg: 7 }}>
                <Section id="dashboard-deployed" title="Deployed models">
                  <DeployedModels />
                </Section>
              </Grid.Col>
            )}
            <Grid.Col span={{ base: 12, lg: brandNew ? 12 : 5 }}>
              <Section id="dashboard-activity" title="Recent activity">
                <ActivityFeed />
              </Section>
            </Grid.Col>
          </Grid>
        </Stack>
      )}
    </>
  );
}
