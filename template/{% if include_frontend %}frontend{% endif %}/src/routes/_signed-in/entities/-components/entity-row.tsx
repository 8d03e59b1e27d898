import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import type { Entity } from "@/client";
import {
  deleteEntityMutation,
  listEntitiesQueryKey,
  updateEntityMutation,
} from "@/client/@tanstack/react-query.gen";
import { zEntityUpdate } from "@/client/zod.gen";
import { ApiErrorAlert } from "@/components/api-error-alert";
import { Button } from "@/components/ui/button";
import { TableCell, TableRow } from "@/components/ui/table";
import { describeApiError } from "@/lib/api-error";
import { EntityForm } from "./entity-form";

// Below the sm breakpoint each row is a card: title, description and date stacked, then actions.
const stacked = "max-sm:block max-sm:px-0";

/** One entity; the page says which row is being edited, so only one is at a time. */
export function EntityRow({
  entity,
  editing,
  onEdit,
  onEditDone,
}: {
  entity: Entity;
  editing: boolean;
  onEdit: () => void;
  onEditDone: () => void;
}) {
  const queryClient = useQueryClient();
  const refreshList = () => queryClient.invalidateQueries({ queryKey: listEntitiesQueryKey() });
  const update = useMutation({
    ...updateEntityMutation(),
    onSuccess: async (saved) => {
      toast.success(`Saved “${saved.title}”`);
      onEditDone();
      await refreshList();
    },
    onError: (error) => {
      toast.error("The entity was not saved", { description: describeApiError(error).message });
    },
  });

  if (editing) {
    return (
      <TableRow className="max-sm:block">
        <TableCell colSpan={4} className={stacked}>
          <EntityForm
            entity={entity}
            schema={zEntityUpdate}
            submitLabel="Save"
            pending={update.isPending}
            error={update.error}
            onSubmit={(fields) => update.mutate({ path: { entity_id: entity.id }, body: fields })}
            onCancel={() => {
              update.reset();
              onEditDone();
            }}
          />
        </TableCell>
      </TableRow>
    );
  }

  return (
    <TableRow data-testid="entity-row" className="max-sm:block max-sm:py-3">
      <TableCell className={`font-medium [overflow-wrap:anywhere] ${stacked}`}>
        {entity.title}
      </TableCell>
      <TableCell
        className={`text-muted-foreground [overflow-wrap:anywhere] max-sm:empty:hidden ${stacked}`}
      >
        {entity.description}
      </TableCell>
      <TableCell className={`text-muted-foreground max-sm:text-xs ${stacked}`}>
        <time dateTime={entity.created_at}>{new Date(entity.created_at).toLocaleString()}</time>
      </TableCell>
      <TableCell className={`text-right max-sm:text-left ${stacked}`}>
        <RowActions entity={entity} onEdit={onEdit} onDeleted={refreshList} />
      </TableCell>
    </TableRow>
  );
}

/** Edit, and a delete that asks first; Escape, Cancel or clicking elsewhere takes it back. */
function RowActions({
  entity,
  onEdit,
  onDeleted,
}: {
  entity: Entity;
  onEdit: () => void;
  onDeleted: () => Promise<unknown>;
}) {
  const [confirming, setConfirming] = useState(false);
  const group = useRef<HTMLDivElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const remove = useMutation({
    ...deleteEntityMutation(),
    onSuccess: async () => {
      toast.success(`Deleted “${entity.title}”`);
      await onDeleted();
    },
    onError: (error) => {
      setConfirming(false);
      toast.error("The entity was not deleted", { description: describeApiError(error).message });
    },
  });

  useEffect(() => {
    if (confirming) {
      confirm.current?.focus();
    }
  }, [confirming]);

  return (
    <>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: Escape and focus leaving cancel the confirmation of the buttons inside */}
      <div
        ref={group}
        className="flex flex-wrap justify-end gap-2 max-sm:justify-start"
        onKeyDown={(event) => {
          if (confirming && event.key === "Escape") {
            setConfirming(false);
          }
        }}
        onBlur={(event) => {
          if (confirming && !group.current?.contains(event.relatedTarget) && !remove.isPending) {
            setConfirming(false);
          }
        }}
      >
        {confirming ? (
          <>
            <Button
              ref={confirm}
              variant="destructive"
              size="sm"
              disabled={remove.isPending}
              onClick={() => remove.mutate({ path: { entity_id: entity.id } })}
            >
              Confirm delete
            </Button>
            <Button variant="outline" size="sm" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </>
        ) : (
          <>
            <Button variant="outline" size="sm" onClick={onEdit}>
              Edit
            </Button>
            <Button variant="outline" size="sm" onClick={() => setConfirming(true)}>
              Delete
            </Button>
          </>
        )}
      </div>
      {remove.error != null && (
        <ApiErrorAlert error={remove.error} title="The entity was not deleted" />
      )}
    </>
  );
}
