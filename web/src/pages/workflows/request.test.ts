import { describe, expect, it } from "vitest";

import { MODEL_TYPE, TABLE_TYPE } from "../runs/fixtures";
import { toModelType, type ModelType } from "./modelTypes";
import { buildRequest, cleanMessage, draftForType, draftFromParams, emptyDraft, formPaths, placeErrors } from "./request";
import { boundsText, stepFor } from "./schema";

const mnist = toModelType(MODEL_TYPE) as ModelType;
const table = toModelType(TABLE_TYPE) as ModelType;

describe("buildRequest", () => {
  it("sends the type's defaults and leaves out data for the sample", () => {
    const body = buildRequest(draftForType(emptyDraft(), mnist), mnist);
    expect(body.workflow_params).toEqual({
      model_type: "mnist_pytorch_cnn",
      training: {
        epochs: 1,
        batch_size: 64,
        params: {
          learning_rate: 0.001,
          optimizer: "adam",
          max_depth: null,
          feature_columns: null,
          shuffle: true,
          target_column: "target",
        },
        seed: 42,
        namespace: "default",
        resource_requests: { cpu: "1", memory: "2Gi" },
        resource_limits: { cpu: "2", memory: "4Gi" },
      },
      evaluation: { metric: "test_accuracy" },
      deployment: {
        deploy_if_trained_success: false,
        namespace: "default",
        replicas: 1,
        resource_requests: {},
        resource_limits: {},
      },
    });
  });

  it("names the model and describes each kind of data source", () => {
    const base = { ...draftForType(emptyDraft(), table), modelName: " churn ", gateMinimum: 0.9, deploy: true, replicas: 2 };
    const s3 = buildRequest({ ...base, dataSource: "s3", dataPath: "s3://b/k.csv", dataFormat: "csv" }, table).workflow_params;
    expect(s3.model_name).toBe("churn");
    expect(s3.data).toEqual({ data_source: "s3", path: "s3://b/k.csv", format: "csv" });
    expect(s3.evaluation).toEqual({ metric: "test_accuracy", minimum: 0.9 });
    expect(s3.deployment).toMatchObject({ deploy_if_trained_success: true, replicas: 2 });
    const dvc = buildRequest({ ...base, dataSource: "dvc", dataPath: "d.csv", dataRepo: "https://git/x", dataRev: "" }, table);
    expect(dvc.workflow_params.data).toEqual({ data_source: "dvc", path: "d.csv", repo: "https://git/x" });
    const query = buildRequest({ ...base, dataSource: "database", databaseMode: "query", dataQuery: "SELECT 1" }, table);
    expect(query.workflow_params.data).toEqual({ data_source: "database", query: "SELECT 1" });
    const tableName = buildRequest({ ...base, dataSource: "database", dataPath: "customers" }, table);
    expect(tableName.workflow_params.data).toEqual({ data_source: "database", path: "customers" });
  });
});

describe("placeErrors", () => {
  const draft = draftForType(emptyDraft(), mnist);
  const paths = formPaths(mnist, draft);

  it("puts each error on its input, in page order", () => {
    const placed = placeErrors(
      [
        { field: "workflow_params.training.params.learning_rate", message: "workflow_params.training.params.learning_rate: must be at most 1.0" },
        { field: "workflow_params.deployment.replicas", message: "Input should be greater than or equal to 1" },
        { field: "workflow_params.deployment.namespace", message: "bad namespace" },
        { field: "workflow_params.training.resource_limits", message: "cpu 1 is less than resource_requests.cpu 2" },
        { field: "workflow_params.training.params.feature_columns.0", message: "too short" },
        { field: "workflow_params.training.params", message: "unknown parameter 'colour'" },
        { field: "workflow_params.gizmo", message: "Extra inputs are not permitted" },
      ],
      paths,
    );
    expect(placed.fields).toEqual({
      "workflow_params.training.params.learning_rate": "Must be at most 1.0",
      "workflow_params.deployment.replicas": "Input should be greater than or equal to 1",
      "workflow_params.training.namespace": "Bad namespace",
      "workflow_params.training.resource_limits.cpu": "Cpu 1 is less than resource_requests.cpu 2",
      "workflow_params.training.params.feature_columns": "Too short",
    });
    expect(placed.rest.map((e) => e.field)).toEqual(["workflow_params.training.params", "workflow_params.gizmo"]);
  });

  it("orders inputs as the page shows them", () => {
    expect(paths.indexOf("workflow_params.training.epochs")).toBeLessThan(paths.indexOf("workflow_params.data.data_source"));
    expect(paths.indexOf("workflow_params.deployment.replicas")).toBeLessThan(paths.indexOf("workflow_params.training.namespace"));
    expect(paths).not.toContain("workflow_params.data.path");
  });

  it("keeps only the message after the field's name", () => {
    expect(cleanMessage({ field: "a.b", message: "a.b: must be more than 0" })).toBe("Must be more than 0");
  });
});

describe("draftFromParams", () => {
  it("brings an earlier run's settings back into the form", () => {
    const draft = draftFromParams(
      {
        model_type: "tabular_sklearn_classifier",
        model_name: "churn",
        training: { epochs: 4, params: { learning_rate: 0.5 }, seed: 7, resource_limits: { cpu: "1", memory: null } },
        data: { data_source: "s3", path: "s3://b/k.csv", format: "csv", repo: null },
        evaluation: { metric: "test_accuracy", minimum: 0.8 },
        deployment: { deploy_if_trained_success: true, replicas: 3 },
      },
      table,
    );
    expect(draft).toMatchObject({
      modelName: "churn",
      seed: 7,
      limits: { cpu: "1", memory: "4Gi" },
      dataSource: "s3",
      dataPath: "s3://b/k.csv",
      dataFormat: "csv",
      gateMinimum: 0.8,
      deploy: true,
      replicas: 3,
    });
    expect(draft.training.epochs).toBe(4);
    expect(draft.training.params).toMatchObject({ learning_rate: 0.5, optimizer: "adam" });
  });

  it("recognises the sample data by its path", () => {
    const draft = draftFromParams(
      { model_type: "mnist_pytorch_cnn", model_name: "mnist_pytorch_cnn", data: { data_source: "local_path", path: "/home/x/datasets/mnist/mnist.pkl.gz" } },
      mnist,
    );
    expect(draft.dataSource).toBe("sample");
    expect(draft.modelName).toBe("");
  });
});

describe("schema helpers", () => {
  it("describes bounds in words", () => {
    expect(boundsText({ minimum: 1, maximum: 50 })).toBe("1 to 50");
    expect(boundsText({ exclusiveMinimum: 0, maximum: 1 })).toBe("More than 0, at most 1");
    expect(boundsText({ minimum: 1 })).toBe("At least 1");
    expect(boundsText({})).toBeNull();
  });

  it("picks a step that suits the number", () => {
    expect(stepFor({ type: "integer" })).toBe(1);
    expect(stepFor({ type: "number", default: 0.001 })).toBe(0.001);
    expect(stepFor({ type: "number", default: 0.25 })).toBe(0.1);
    expect(stepFor({ type: "number", default: 0, minimum: 0, maximum: 0.1 })).toBe(0.001);
  });
});
