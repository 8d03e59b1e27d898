import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";
import { useState } from "react";
import {
  createEntityMutation,
  listEntitiesOptions,
  listEntitiesQueryKey,
} from "@/client/@tanstack/react-query.gen";
import { ApiErrorAlert } from "@/components/api-error-alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { EntityForm } from "./-components/entity-form";
import { EntityRow } from "./-components/entity-row";

export const PAGE_SIZE = 10;

export const Route = createFileRoute("/_signed-in/entities/")({
  // ?page=N, from 1; anything else is the first page.
  validateSearch: (search: Record<string, unknown>): { page?: number } => {
    const page = Number(search.page);
    return Number.isInteger(page) && page > 1 ? { page } : {};
  },
  component: EntitiesPage,
});

export function EntitiesPage() {
  const page = Route.useSearch().page ?? 1;
  const queryClient = useQueryClient();
  const list = useQuery({
    ...listEntitiesOptions({ query: { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  // A new key remounts the form, which empties it after each created entity.
  const [formKey, setFormKey] = useState(0);
  const create = useMutation({
    ...createEntityMutation(),
    onSuccess: async () => {
      setFormKey((key) => key + 1);
      await queryClient.invalidateQueries({ queryKey: listEntitiesQueryKey() });
    },
  });
  const pages = Math.max(1, Math.ceil((list.data?.count ?? 0) / PAGE_SIZE));

  return (
    <>
      <h1 className="text-2xl font-semibold">Entities</h1>
      <Card>
        <CardHeader>
          <CardTitle>New entity</CardTitle>
        </CardHeader>
        <CardContent>
          <EntityForm
            key={formKey}
            submitLabel="Create"
            pending={create.isPending}
            error={create.error}
            onSubmit={(fields) => create.mutate({ body: fields })}
          />
        </CardContent>
      </Card>
      <section aria-busy={list.isPending} aria-label="Your entities" className="grid gap-3">
        {list.isPending && <p className="text-muted-foreground">Loading entities…</p>}
        {list.isError && <ApiErrorAlert error={list.error} title="Entities could not be loaded" />}
        {list.data?.count === 0 && (
          <p className="text-muted-foreground">No entities yet: create the first one above.</p>
        )}
        {list.data && list.data.count > 0 && (
          <>
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Title</TableHead>
                  <TableHead>Description</TableHead>
                  <TableHead>Created</TableHead>
                  <TableHead className="text-right">Actions</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {list.data.data.map((entity) => (
                  <EntityRow key={entity.id} entity={entity} />
                ))}
              </TableBody>
            </Table>
            <div className="flex items-center justify-between text-sm text-muted-foreground">
              <span>
                Page {page} of {pages} ({list.data.count} entities)
              </span>
              <div className="flex gap-2">
                <Button variant="outline" size="sm" asChild disabled={page <= 1}>
                  <Link
                    to="/entities"
                    search={{ page: Math.max(1, page - 1) }}
                    disabled={page <= 1}
                  >
                    Previous
                  </Link>
                </Button>
                <Button variant="outline" size="sm" asChild>
                  <Link to="/entities" search={{ page: page + 1 }} disabled={page >= pages}>
                    Next
                  </Link>
                </Button>
              </div>
            </div>
          </>
        )}
      </section>
    </>
  );
}
