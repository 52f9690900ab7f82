import { Group, Pagination, Text } from "@mantine/core";

/** "1–25 of 60" and page buttons, with names a screen reader can say. */
export function Pager({ total, limit, offset, onOffset, noun }: {
  total: number;
  limit: number;
  offset: number;
  onOffset: (offset: number) => void;
  noun: string;
}) {
  if (total === 0) return null;
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.floor(offset / limit) + 1;
  const first = offset + 1;
  const last = Math.min(offset + limit, total);
  return (
    <Group justify="space-between" mt="md" gap="sm">
      <Text size="sm" c="dimmed" aria-live="polite">
        {first === last ? `${first}` : `${first}–${last}`} of {total} {noun}
      </Text>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={page}
          onChange={(next) => onOffset((next - 1) * limit)}
          size="sm"
          aria-label={`Pages of ${noun}`}
          getItemProps={(item) => ({ "aria-label": `Page ${item}`, "aria-current": item === page ? "page" : undefined })}
          getControlProps={(control) => ({ "aria-label": `${control.charAt(0).toUpperCase()}${control.slice(1)} page` })}
        />
      )}
    </Group>
  );
}
