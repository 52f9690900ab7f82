/** Answers of the gateway as tests need them: a catalog entry, a run, a log. */
import type { components } from "../../api/schema";

export const TRAINING_SCHEMA = {
  type: "object",
  properties: {
    epochs: { type: "integer", title: "Epochs", description: "Passes over the training images.", default: 1, minimum: 1, maximum: 50 },
    batch_size: { type: "integer", title: "Batch size", description: "Images per step.", default: 64, minimum: 1, maximum: 4096 },
    params: {
      type: "object",
      title: "Model parameters",
      properties: {
        learning_rate: {
          type: "number",
          title: "Learning rate",
          description: "Step size of the optimizer.",
          default: 0.001,
          exclusiveMinimum: 0,
          maximum: 1,
        },
        optimizer: { type: "string", title: "Optimizer", default: "adam", enum: ["adam", "sgd"] },
        max_depth: { type: ["integer", "null"], title: "Maximum tree depth", default: null, minimum: 1, maximum: 64 },
        feature_columns: { type: ["array", "null"], title: "Feature columns", items: { type: "string" }, default: null },
        shuffle: { type: "boolean", title: "Shuffle", description: "Shuffle every epoch.", default: true },
        target_column: { type: "string", title: "Target column", default: "target" },
      },
    },
  },
};

export const MODEL_TYPE = {
  name: "mnist_pytorch_cnn",
  title: "Handwritten digits (CNN)",
  description: "Reads 28x28 images of digits.",
  task: "image_classification",
  framework: "pytorch",
  training_schema: TRAINING_SCHEMA,
  default_resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
  metrics: [
    { name: "loss", goal: "minimize", description: "Loss." },
    { name: "test_accuracy", goal: "maximize", description: "Accuracy on test data." },
  ],
  primary_metric: "test_accuracy",
  sample_data: { data_source: "local_path", path: "datasets/mnist/mnist.pkl.gz" },
  data_formats: ["pkl", "npz", "idx"],
};

export const TABLE_TYPE = {
  ...MODEL_TYPE,
  name: "tabular_sklearn_classifier",
  title: "Table classifier (scikit-learn)",
  description: "Predicts a category column of a table.",
  data_formats: ["csv", "parquet", "database"],
  sample_data: { data_source: "local_path", path: "datasets/breast_cancer/breast_cancer.csv" },
};

type Run = components["schemas"]["RunDetail"];

export const RUN: Run = {
  job_id: "01a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6",
  model_type: "mnist_pytorch_cnn",
  model_name: "digits",
  status: "running",
  step: "train",
  progress: 0.42,
  created_at: "2026-01-01T10:00:00Z",
  start_time: "2026-01-01T10:00:01Z",
  end_time: null,
  duration_seconds: 30,
  created_by: "ada",
  queue_position: null,
  metrics: { loss: 0.3, accuracy: 0.91 },
  error: null,
  workflow_params: {
    model_type: "mnist_pytorch_cnn",
    model_name: "digits",
    training: { epochs: 3, batch_size: 64, params: { learning_rate: 0.001, optimizer: "adam" }, seed: 42, namespace: "default" },
    data: null,
    evaluation: { metric: "test_accuracy", minimum: 0.9 },
    deployment: { replicas: 1, deploy_if_trained_success: false },
  },
  steps: [
    { name: "train", status: "running", started_at: "2026-01-01T10:00:01Z", ended_at: null, detail: null },
    { name: "evaluate", status: "pending", started_at: null, ended_at: null, detail: null },
    { name: "register", status: "pending", started_at: null, ended_at: null, detail: null },
    { name: "deploy", status: "pending", started_at: null, ended_at: null, detail: null },
  ],
  epochs: [{ epoch: 1, metrics: { loss: 0.3, accuracy: 0.91, val_loss: 0.2, val_accuracy: 0.93 }, seconds: 12.5 }],
  artifact_uri: null,
  dataset: null,
  model_id: null,
  deployment_id: null,
  runtime: "local",
  error_code: null,
  cancelled_by: null,
  cancel_reason: null,
};

const LOG_TEXT =
  "10:00:00 [platform] digits queued by ada\n10:00:01 INFO ml.train: epoch 1/3 loss 0.3\n10:00:02 ERROR ml.train: disk is slow\n";

export const LOG = {
  text: LOG_TEXT,
  offset: 0,
  next_offset: new TextEncoder().encode(LOG_TEXT).length,
  size: new TextEncoder().encode(LOG_TEXT).length,
  complete: false,
};
