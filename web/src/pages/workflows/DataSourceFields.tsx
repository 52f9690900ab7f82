import { Alert, SegmentedControl, Select, SimpleGrid, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";

import type { ModelType } from "./modelTypes";
import { P, type DataChoice, type Draft } from "./request";
import { fieldId } from "./schema";

const FORMATS: Record<string, string> = {
  csv: "CSV",
  parquet: "Parquet",
  pkl: "Pickle (mnist.pkl.gz)",
  npz: "NumPy archive (.npz)",
  idx: "IDX files (MNIST originals)",
};

const SOURCES: { value: DataChoice; label: string }[] = [
  { value: "sample", label: "Sample data (built in)" },
  { value: "local_path", label: "File or folder on the platform's machine" },
  { value: "s3", label: "Amazon S3 or compatible" },
  { value: "gcs", label: "Google Cloud Storage" },
  { value: "dvc", label: "DVC repository" },
  { value: "database", label: "Database table or query" },
];

interface Props {
  draft: Draft;
  type: ModelType | undefined;
  errors: Record<string, string | undefined>;
  update: (patch: Partial<Draft>, ...paths: string[]) => void;
}

/** Where the training data comes from, with the fields each kind of source needs. */
export function DataSourceFields({ draft, type, errors, update }: Props) {
  const source = draft.dataSource;
  const formats = (type?.data_formats ?? []).filter((f) => f in FORMATS).map((f) => ({ value: f, label: FORMATS[f] ?? f }));
  const sample = type?.sample_data?.path;
  const readsTables = type ? type.data_formats.includes("database") : true;
  const path = `${P}.data.path`;

  const formatField = formats.length > 0 && (
    <Select
      id={fieldId(`${P}.data.format`)}
      label="Format"
      description="Leave empty to guess it from the file name."
      placeholder="From the file name"
      data={formats}
      value={draft.dataFormat}
      onChange={(value) => update({ dataFormat: value }, `${P}.data.format`)}
      clearable
      error={errors[`${P}.data.format`]}
    />
  );

  return (
    <Stack gap="md">
      <Select
        id={fieldId(`${P}.data.data_source`)}
        label="Data source"
        description="Credentials for S3, GCS and databases come from Settings → Data sources, never from this form."
        data={SOURCES}
        value={source}
        onChange={(value) => value && update({ dataSource: value as DataChoice }, `${P}.data.data_source`, path)}
        allowDeselect={false}
        error={errors[`${P}.data.data_source`]}
      />
      {source === "sample" && (
        <Text size="sm" c="dimmed">
          {sample
            ? `Trains on the model type's sample: ${sample}. A good way to try the platform.`
            : "Trains on the model type's built-in sample data."}
        </Text>
      )}
      {(source === "local_path" || source === "s3" || source === "gcs") && (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput
            id={fieldId(path)}
            label={source === "local_path" ? "Path" : source === "s3" ? "S3 URI" : "GCS URI"}
            description={
              source === "local_path"
                ? "A file or folder; relative paths start in the platform's home folder."
                : source === "s3"
                  ? "s3://bucket/key of the file or folder."
                  : "gs://bucket/key of the file or folder."
            }
            placeholder={
              source === "local_path"
                ? "datasets/my-data.csv"
                : source === "s3"
                  ? "s3://my-bucket/data/train.csv"
                  : "gs://my-bucket/data/train.csv"
            }
            value={draft.dataPath}
            onChange={(event) => update({ dataPath: event.currentTarget.value }, path)}
            error={errors[path]}
            required
          />
          {formatField}
        </SimpleGrid>
      )}
      {source === "dvc" && (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput
            id={fieldId(`${P}.data.repo`)}
            label="Repository"
            description="Git URL or folder of the DVC repository."
            placeholder="https://github.com/acme/datasets.git"
            value={draft.dataRepo}
            onChange={(event) => update({ dataRepo: event.currentTarget.value }, `${P}.data.repo`)}
            error={errors[`${P}.data.repo`]}
            required
          />
          <TextInput
            id={fieldId(`${P}.data.rev`)}
            label="Revision"
            description="Branch, tag or commit; the default branch when empty."
            placeholder="main"
            value={draft.dataRev}
            onChange={(event) => update({ dataRev: event.currentTarget.value }, `${P}.data.rev`)}
            error={errors[`${P}.data.rev`]}
          />
          <TextInput
            id={fieldId(path)}
            label="Path in the repository"
            description="The file or folder tracked by DVC."
            placeholder="data/train.csv"
            value={draft.dataPath}
            onChange={(event) => update({ dataPath: event.currentTarget.value }, path)}
            error={errors[path]}
            required
          />
          {formatField}
        </SimpleGrid>
      )}
      {source === "database" && (
        <Stack gap="md">
          {!readsTables && (
            <Alert color="yellow" icon={<IconInfoCircle size={18} aria-hidden />}>
              {type?.title ?? "This model type"} does not read database tables; choose a file source instead.
            </Alert>
          )}
          <Stack gap={4}>
            <Text size="sm" fw={500} id="database-mode-label">
              Read from
            </Text>
            <SegmentedControl
              aria-labelledby="database-mode-label"
              data={[
                { value: "table", label: "A table" },
                { value: "query", label: "An SQL query" },
              ]}
              value={draft.databaseMode}
              onChange={(value) => update({ databaseMode: value === "query" ? "query" : "table" }, path, `${P}.data.query`)}
              style={{ alignSelf: "flex-start" }}
            />
          </Stack>
          {draft.databaseMode === "table" ? (
            <TextInput
              id={fieldId(path)}
              label="Table"
              description="Name of the table in the database from Settings."
              placeholder="customers"
              value={draft.dataPath}
              onChange={(event) => update({ dataPath: event.currentTarget.value }, path)}
              error={errors[path]}
              required
            />
          ) : (
            <Textarea
              id={fieldId(`${P}.data.query`)}
              label="SQL query"
              description="A SELECT whose columns include the target column."
              placeholder="SELECT * FROM customers WHERE region = 'EU'"
              rows={4}
              value={draft.dataQuery}
              onChange={(event) => update({ dataQuery: event.currentTarget.value }, `${P}.data.query`)}
              error={errors[`${P}.data.query`]}
              required
              styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            />
          )}
        </Stack>
      )}
    </Stack>
  );
}
