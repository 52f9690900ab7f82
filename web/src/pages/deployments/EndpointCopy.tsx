import { ActionIcon, Code, CopyButton, Group, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy } from "@tabler/icons-react";

/** A deployment's endpoint with a button that copies its full address. */
export function EndpointCopy({ endpoint, short = false }: { endpoint: string; short?: boolean }) {
  const id = endpoint.split("/").pop() ?? "";
  const shown = short && id.length > 12 ? `${endpoint.slice(0, endpoint.length - id.length)}${id.slice(0, 8)}…` : endpoint;
  return (
    <Group gap={4} wrap="nowrap">
      <Code style={{ overflowWrap: "anywhere", whiteSpace: short ? "nowrap" : undefined }} title={endpoint}>
        {shown}
      </Code>
      <CopyButton value={`${window.location.origin}${endpoint}`}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? "Copied" : "Copy the endpoint's address"} withArrow>
            <ActionIcon variant="subtle" color={copied ? "teal" : "gray"} onClick={copy} aria-label="Copy endpoint">
              {copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
