import { Badge, Button, Card, CloseButton, Group, Stack, Text, ThemeIcon, Title } from "@mantine/core";
import { IconArrowRight, IconBox, IconCheck, IconRocket, IconSchool } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link } from "react-router";

import { useCan } from "../../auth/AuthProvider";
import classes from "./dashboard.module.css";

interface Step {
  title: string;
  text: string;
  done: boolean;
  icon: ReactNode;
  action: ReactNode;
}

/**
 * The path for someone new: train a model → it appears in the registry → deploy it.
 * Each step says whether it is done; the next one carries the button.
 */
export function GetStarted({
  trained,
  registered,
  deployed,
  onHide,
}: {
  trained: boolean;
  registered: boolean;
  deployed: boolean;
  onHide?: () => void;
}) {
  const canEdit = useCan("editor");
  const next = !trained ? 0 : !registered ? 1 : !deployed ? 2 : 3;
  const steps: Step[] = [
    {
      title: "Train your first model",
      text:
        "Pick a model type — handwritten digits, or a table of your own — choose a few options and start a run. " +
        "Sample datasets are ready, so it works right away.",
      done: trained,
      icon: <IconSchool size={20} aria-hidden />,
      action: canEdit ? (
        <Button component={Link} to="/workflows/new" rightSection={<IconArrowRight size={16} aria-hidden />} variant={next === 0 ? "filled" : "light"}>
          Train your first model
        </Button>
      ) : (
        <Text size="sm" c="dimmed">
          Your role can look but not train: ask an editor or an admin to start a run.
        </Text>
      ),
    },
    {
      title: "It appears in the registry",
      text:
        "A successful run registers a new version of the model with its metrics, so you can compare versions " +
        "and promote the best one to production.",
      done: registered,
      icon: <IconBox size={20} aria-hidden />,
      action: (
        <Button component={Link} to="/models" variant={next === 1 ? "filled" : "default"}>
          Open the registry
        </Button>
      ),
    },
    {
      title: "Deploy it",
      text:
        "Deploy a version in one step: it gets a stable URL for predictions, health checks, monitoring and drift alerts.",
      done: deployed,
      icon: <IconRocket size={20} aria-hidden />,
      action: (
        <Button component={Link} to={registered ? "/models" : "/deployments"} variant={next === 2 ? "filled" : "default"}>
          {registered && canEdit ? "Choose a version to deploy" : "Open deployments"}
        </Button>
      ),
    },
  ];

  return (
    <Card withBorder radius="md" padding="lg" className={classes.hero} data-testid="get-started">
      <Group justify="space-between" align="flex-start" wrap="nowrap" mb="md">
        <Stack gap={4}>
          <Title order={2} fz="xl">
            Get started
          </Title>
          <Text size="sm" c="dimmed" maw={640}>
            Three steps from nothing to a model answering predictions. This guide goes away once your first model is
            deployed.
          </Text>
        </Stack>
        {onHide && <CloseButton aria-label="Hide the get started guide" onClick={onHide} />}
      </Group>
      <Stack component="ol" gap="md" m={0} p={0} style={{ listStyle: "none" }}>
        {steps.map((step, index) => (
          <Group
            component="li"
            key={step.title}
            wrap="nowrap"
            align="flex-start"
            gap="md"
            aria-current={index === next ? "step" : undefined}
          >
            <ThemeIcon
              size={40}
              radius="xl"
              variant={step.done ? "filled" : index === next ? "light" : "default"}
              color={step.done ? "green" : "blue"}
              aria-hidden
            >
              {step.done ? <IconCheck size={20} aria-hidden /> : step.icon}
            </ThemeIcon>
            <Stack gap={6} style={{ flex: 1, minWidth: 0 }}>
              <Group gap="xs">
                <Text fw={600}>
                  {index + 1}. {step.title}
                </Text>
                {step.done && (
                  <Badge color="green" variant="light" size="sm">
                    Done
                  </Badge>
                )}
              </Group>
              <Text size="sm" c="dimmed">
                {step.text}
              </Text>
              {!step.done && <div>{step.action}</div>}
            </Stack>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}
