import { type FormEvent, useState } from "react";
import type { Entity } from "@/client";
import { ApiErrorAlert } from "@/components/api-error-alert";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";

export interface EntityFields {
  title: string;
  description: string | null;
}

/**
 * Create and edit share this form. The API validates (the form only trims), so its rules live
 * in one place and its errors are shown as it sends them.
 */
export function EntityForm({
  entity,
  submitLabel,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  entity?: Entity;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (fields: EntityFields) => void;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(entity?.title ?? "");
  const [description, setDescription] = useState(entity?.description ?? "");
  const idPrefix = entity ? `entity-${entity.id}` : "new-entity";

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ title, description: description.trim() === "" ? null : description.trim() });
  }

  return (
    <form onSubmit={submit} className="grid gap-3" aria-label={submitLabel}>
      <div className="grid gap-1.5">
        <Label htmlFor={`${idPrefix}-title`}>Title</Label>
        <Input
          id={`${idPrefix}-title`}
          value={title}
          onChange={(event) => setTitle(event.target.value)}
        />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor={`${idPrefix}-description`}>Description</Label>
        <Textarea
          id={`${idPrefix}-description`}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
        />
      </div>
      {error != null && <ApiErrorAlert error={error} title="The entity was not saved" />}
      <div className="flex gap-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : submitLabel}
        </Button>
        {onCancel && (
          <Button type="button" variant="outline" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
