import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Entity } from "@/client";
import {
  deleteEntityMutation,
  listEntitiesQueryKey,
  updateEntityMutation,
} from "@/client/@tanstack/react-query.gen";
import { ApiErrorAlert } from "@/components/api-error-alert";
import { Button } from "@/components/ui/button";
import { TableCell, TableRow } from "@/components/ui/table";
import { EntityForm } from "./entity-form";

export function EntityRow({ entity }: { entity: Entity }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const refreshList = () => queryClient.invalidateQueries({ queryKey: listEntitiesQueryKey() });
  const update = useMutation({
    ...updateEntityMutation(),
    onSuccess: async () => {
      setEditing(false);
      await refreshList();
    },
  });
  const remove = useMutation({ ...deleteEntityMutation(), onSuccess: refreshList });

  if (editing) {
    return (
      <TableRow>
        <TableCell colSpan={4}>
          <EntityForm
            entity={entity}
            submitLabel="Save"
            pending={update.isPending}
            error={update.error}
            onSubmit={(fields) => update.mutate({ path: { entity_id: entity.id }, body: fields })}
            onCancel={() => {
              update.reset();
              setEditing(false);
            }}
          />
        </TableCell>
      </TableRow>
    );
  }

  return (
    <TableRow data-testid="entity-row">
      <TableCell className="font-medium">{entity.title}</TableCell>
      <TableCell className="text-muted-foreground">{entity.description}</TableCell>
      <TableCell className="text-muted-foreground">
        {new Date(entity.created_at).toLocaleString()}
      </TableCell>
      <TableCell className="text-right">
        <div className="flex justify-end gap-2">
          <Button variant="outline" size="sm" onClick={() => setEditing(true)}>
            Edit
          </Button>
          {confirmingDelete ? (
            <Button
              variant="destructive"
              size="sm"
              disabled={remove.isPending}
              onClick={() => remove.mutate({ path: { entity_id: entity.id } })}
            >
              Confirm delete
            </Button>
          ) : (
            <Button variant="outline" size="sm" onClick={() => setConfirmingDelete(true)}>
              Delete
            </Button>
          )}
        </div>
        {remove.error != null && (
          <ApiErrorAlert error={remove.error} title="The entity was not deleted" />
        )}
      </TableCell>
    </TableRow>
  );
}
