import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

// A big form on a busy two-core machine: give each test room.
vi.setConfig({ testTimeout: 30_000 });

import { renderWithProviders } from "../../test/render";
import { TRAINING_SCHEMA } from "../runs/fixtures";
import { SchemaForm } from "./SchemaForm";
import { schemaDefaults, schemaOutput, type JsonSchema, type SchemaValues } from "./schema";

const schema = TRAINING_SCHEMA as JsonSchema;

function Harness({ onValues, errors }: { onValues?: (values: SchemaValues, path: string) => void; errors?: Record<string, string> }) {
  const [value, setValue] = useState(() => schemaDefaults(schema));
  return (
    <SchemaForm
      schema={schema}
      value={value}
      path="workflow_params.training"
      errors={errors}
      onChange={(next, path) => {
        setValue(next);
        onValues?.(next, path);
      }}
    />
  );
}

describe("SchemaForm", () => {
  it("renders one labelled input per schema field, titled by the schema", () => {
    renderWithProviders(<Harness />);
    for (const label of ["Epochs", "Batch size", "Learning rate", "Optimizer", "Maximum tree depth", "Feature columns", "Target column"]) {
      expect(screen.getByLabelText(label, { selector: "input" })).toBeInTheDocument();
    }
    const shuffle = screen.getByRole("switch", { name: "Shuffle" });
    expect(shuffle).toBeChecked();
    expect(shuffle).toHaveAccessibleDescription("Shuffle every epoch.");
  });

  it("starts from the schema's defaults", () => {
    renderWithProviders(<Harness />);
    expect(screen.getByLabelText("Epochs")).toHaveValue("1");
    expect(screen.getByLabelText("Batch size")).toHaveValue("64");
    expect(screen.getByLabelText("Learning rate")).toHaveValue("0.001");
    expect(screen.getByLabelText("Optimizer", { selector: "input" })).toHaveValue("Adam");
    expect(screen.getByLabelText("Maximum tree depth")).toHaveValue("");
    expect(screen.getByLabelText("Target column")).toHaveValue("target");
  });

  it("says the bounds and the description under each number", () => {
    renderWithProviders(<Harness />);
    expect(screen.getByLabelText("Epochs")).toHaveAccessibleDescription("Passes over the training images. 1 to 50.");
    expect(screen.getByLabelText("Learning rate")).toHaveAccessibleDescription("Step size of the optimizer. More than 0, at most 1.");
  });

  it("steps numbers by a step that suits them, and not past the maximum", () => {
    renderWithProviders(<Harness />);
    const rate = screen.getByLabelText("Learning rate");
    fireEvent.keyDown(rate, { key: "ArrowUp" });
    expect(rate).toHaveValue("0.002");
    const epochs = screen.getByLabelText("Epochs");
    fireEvent.change(epochs, { target: { value: "50" } });
    fireEvent.keyDown(epochs, { key: "ArrowUp" });
    expect(epochs).toHaveValue("50");
  });

  it("puts the nested params object in a 'Model parameters' fieldset", () => {
    renderWithProviders(<Harness />);
    const group = screen.getByRole("group", { name: "Model parameters" });
    expect(within(group).getByLabelText("Learning rate")).toBeInTheDocument();
    expect(within(group).queryByLabelText("Epochs")).not.toBeInTheDocument();
  });

  it("offers an enum's values in a select", async () => {
    const onValues = vi.fn();
    renderWithProviders(<Harness onValues={onValues} />);
    await userEvent.click(screen.getByLabelText("Optimizer", { selector: "input" }));
    await userEvent.click(await screen.findByRole("option", { name: "Sgd", hidden: true }));
    const [values, path] = onValues.mock.lastCall as [SchemaValues, string];
    expect(path).toBe("workflow_params.training.params.optimizer");
    expect((values.params as SchemaValues).optimizer).toBe("sgd");
  });

  it("returns typed values: numbers as numbers, empty nullable fields as null", async () => {
    const onValues = vi.fn();
    renderWithProviders(<Harness onValues={onValues} />);
    const epochs = screen.getByLabelText("Epochs");
    await userEvent.clear(epochs);
    await userEvent.type(epochs, "3");
    await userEvent.type(screen.getByLabelText("Feature columns", { selector: "input" }), "age{Enter}");
    const [values, path] = onValues.mock.lastCall as [SchemaValues, string];
    expect(path).toBe("workflow_params.training.params.feature_columns");
    expect(schemaOutput(schema, values)).toEqual({
      epochs: 3,
      batch_size: 64,
      params: {
        learning_rate: 0.001,
        optimizer: "adam",
        max_depth: null,
        feature_columns: ["age"],
        shuffle: true,
        target_column: "target",
      },
    });
  });

  it("shows an error from the platform on the field it names, and only there", () => {
    renderWithProviders(<Harness errors={{ "workflow_params.training.params.learning_rate": "Must be at most 1.0" }} />);
    const rate = screen.getByLabelText("Learning rate");
    expect(rate).toHaveAttribute("aria-invalid", "true");
    expect(rate).toHaveAccessibleDescription(expect.stringContaining("Must be at most 1.0"));
    expect(screen.getByLabelText("Epochs")).not.toHaveAttribute("aria-invalid", "true");
    expect(rate).toHaveAttribute("id", "field-workflow_params.training.params.learning_rate");
  });
});
