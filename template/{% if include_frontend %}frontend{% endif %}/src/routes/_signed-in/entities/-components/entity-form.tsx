import { type FormEvent, type ReactNode, useState } from "react";
import type { z } from "zod/mini";
import type { Entity } from "@/client";
import { ApiErrorAlert } from "@/components/api-error-alert";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { formProblems } from "@/lib/form-problems";

export interface EntityFields {
  title: string;
  description: string | null;
}

/**
 * Create and edit share this form. It checks the API's rules (length, characters) with the
 * schema generated from the API before sending; what only the API can judge (a title of
 * spaces, say) comes back as the API's error, shown as it sends it.
 */
export function EntityForm({
  entity,
  schema,
  submitLabel,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  entity?: Entity;
  /** The API's schema of the body this form sends (zEntityCreate, zEntityUpdate). */
  schema: z.ZodMiniType;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (fields: EntityFields) => void;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(entity?.title ?? "");
  const [description, setDescription] = useState(entity?.description ?? "");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const idPrefix = entity ? `entity-${entity.id}` : "new-entity";

  function submit(event: FormEvent) {
    event.preventDefault();
    const fields = { title, description: description.trim() === "" ? null : description.trim() };
    const found = formProblems(schema, fields);
    setProblems(found);
    if (Object.keys(found).length === 0) {
      onSubmit(fields);
    }
  }

  return (
    <form onSubmit={submit} className="grid min-w-0 gap-3" aria-label={submitLabel} noValidate>
      <Field id={`${idPrefix}-title`} label="Title" problem={problems.title}>
        <Input
          id={`${idPrefix}-title`}
          value={title}
          onChange={(event) => setTitle(event.target.value)}
          aria-invalid={problems.title !== undefined}
          aria-describedby={problems.title && `${idPrefix}-title-problem`}
        />
      </Field>
      <Field id={`${idPrefix}-description`} label="Description" problem={problems.description}>
        <Textarea
          id={`${idPrefix}-description`}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          aria-invalid={problems.description !== undefined}
          aria-describedby={problems.description && `${idPrefix}-description-problem`}
        />
      </Field>
      {error != null && <ApiErrorAlert error={error} title="The entity was not saved" />}
      <div className="flex flex-wrap gap-2">
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

function Field({
  id,
  label,
  problem,
  children,
}: {
  id: string;
  label: string;
  problem: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {children}
      {problem && (
        <p id={`${id}-problem`} className="text-sm text-destructive">
          {label} {problem}.
        </p>
      )}
    </div>
  );
}
