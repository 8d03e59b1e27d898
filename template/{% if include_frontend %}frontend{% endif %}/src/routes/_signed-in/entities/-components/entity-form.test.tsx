import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { zEntityCreate, zEntityUpdate } from "@/client/zod.gen";
import { EntityForm } from "./entity-form";

describe("EntityForm", () => {
  it("sends the title as typed and an empty description as null", async () => {
    const onSubmit = vi.fn();
    render(
      <EntityForm
        schema={zEntityCreate}
        submitLabel="Create"
        pending={false}
        error={null}
        onSubmit={onSubmit}
      />,
    );

    await userEvent.type(screen.getByLabelText("Title"), "First");
    await userEvent.type(screen.getByLabelText("Description"), "   ");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));

    expect(onSubmit).toHaveBeenCalledWith({ title: "First", description: null });
  });

  it("checks the API's rules before sending, from the generated schema", async () => {
    const onSubmit = vi.fn();
    render(
      <EntityForm
        schema={zEntityCreate}
        submitLabel="Create"
        pending={false}
        error={null}
        onSubmit={onSubmit}
      />,
    );

    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(screen.getByText("Title is required.")).toBeVisible();
    expect(screen.getByLabelText("Title")).toHaveAttribute("aria-invalid", "true");

    await userEvent.type(screen.getByLabelText("Title"), "x".repeat(256));
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(screen.getByText("Title can be at most 255 characters.")).toBeVisible();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("starts from the entity being edited and can be cancelled", async () => {
    const onCancel = vi.fn();
    render(
      <EntityForm
        entity={{
          id: "0b7f1a52-5a51-4c1e-9d9e-2f3a4b5c6d7e",
          title: "Old",
          description: "Kept",
          owner_id: "user_local",
          created_at: "2026-01-01T00:00:00Z",
          updated_at: "2026-01-01T00:00:00Z",
        }}
        schema={zEntityUpdate}
        submitLabel="Save"
        pending={false}
        error={null}
        onSubmit={vi.fn()}
        onCancel={onCancel}
      />,
    );

    expect(screen.getByLabelText("Title")).toHaveValue("Old");
    expect(screen.getByLabelText("Description")).toHaveValue("Kept");
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onCancel).toHaveBeenCalledOnce();
  });

  it("shows the API's error and disables saving while a save is pending", () => {
    render(
      <EntityForm
        schema={zEntityCreate}
        submitLabel="Create"
        pending
        error={{ error: "Bad Request", message: "Nope", code: "bad", request_id: "req-1" }}
        onSubmit={vi.fn()}
      />,
    );

    expect(screen.getByRole("alert")).toHaveTextContent("Nope");
    expect(screen.getByRole("button", { name: "Saving…" })).toBeDisabled();
  });
});
