import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link, redirect, useNavigate } from "@tanstack/react-router";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import {
  createEntityMutation,
  listEntitiesOptions,
  listEntitiesQueryKey,
} from "@/client/@tanstack/react-query.gen";
import { zEntityCreate, zListEntitiesQuery } from "@/client/zod.gen";
import { ApiErrorAlert } from "@/components/api-error-alert";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { describeApiError } from "@/lib/api-error";
import { usePageTitle } from "@/lib/page-title";
import { type EntityFields, EntityForm } from "./-components/entity-form";
import { EntityRow } from "./-components/entity-row";

const PAGE_SIZE = 10;

/** ?page=N for a whole N from 1; anything else is the first page. */
function pageFrom(value: unknown): number {
  const page = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof page === "number" && Number.isSafeInteger(page) && page >= 1 ? page : 1;
}

export const Route = createFileRoute("/_signed-in/entities/")({
  // The router keeps what this leaves out, so an invalid page is overwritten, not omitted.
  validateSearch: (search: Record<string, unknown>): { page?: number } => {
    const page = pageFrom(search.page);
    return { page: page > 1 ? page : undefined };
  },
  // ?page=abc or ?page=1 reads as /entities, and the address says so.
  beforeLoad: ({ search, location }) => {
    if ("page" in location.search && search.page === undefined) {
      throw redirect({ to: "/entities", replace: true });
    }
  },
  component: EntitiesPage,
});

function EntitiesPage() {
  const page = Route.useSearch().page ?? 1;
  usePageTitle(page > 1 ? `Entities, page ${page}` : "Entities");
  const navigate = useNavigate();
  // A page deeper than the API pages (its rules, from the generated schema) asks for the
  // first, whose count then sends the user to the last page.
  const wanted = { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE };
  const query = zListEntitiesQuery.safeParse(wanted).success ? wanted : { ...wanted, offset: 0 };
  const list = useQuery({ ...listEntitiesOptions({ query }), placeholderData: keepPreviousData });
  const pages = Math.max(1, Math.ceil((list.data?.count ?? 0) / PAGE_SIZE));
  // The page the rows on screen belong to: the previous one while the next loads.
  const shownPage = useRef(page);
  if (list.data && !list.isPlaceholderData) {
    shownPage.current = page;
  }
  const beyondTheEnd = list.data !== undefined && !list.isPlaceholderData && page > pages;
  const [editingId, setEditingId] = useState<string | null>(null);

  // Past the last page (?page=99, or its last entity deleted): go to the last page.
  useEffect(() => {
    if (beyondTheEnd) {
      void navigate({ to: "/entities", search: pages > 1 ? { page: pages } : {}, replace: true });
    }
  }, [beyondTheEnd, pages, navigate]);

  const stale = list.isPlaceholderData && list.fetchStatus === "paused";

  return (
    <>
      <h1 className="text-2xl font-semibold">Entities</h1>
      <NewEntity page={page} />
      <section aria-busy={list.isFetching} aria-label="Your entities" className="grid gap-3">
        {list.isPending && list.fetchStatus === "paused" && <OfflineNotice />}
        {(list.isPending || beyondTheEnd) && <ListSkeleton />}
        {list.isError && <ApiErrorAlert error={list.error} title="Entities could not be loaded" />}
        {list.data?.count === 0 && (
          <p className="text-muted-foreground">No entities yet: create the first one above.</p>
        )}
        {stale && <OfflineNotice shownPage={shownPage.current} page={page} />}
        {list.data && list.data.count > 0 && !beyondTheEnd && (
          <>
            <Table
              className="table-fixed max-sm:block"
              data-stale={list.isPlaceholderData || undefined}
              aria-describedby={stale ? "stale-rows" : undefined}
            >
              <TableHeader className="max-sm:sr-only">
                <TableRow>
                  <TableHead className="w-[30%]">Title</TableHead>
                  <TableHead>Description</TableHead>
                  <TableHead className="w-44">Created</TableHead>
                  <TableHead className="w-52 text-right">Actions</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody className={`max-sm:block ${list.isPlaceholderData ? "opacity-50" : ""}`}>
                {list.data.data.map((entity) => (
                  <EntityRow
                    key={entity.id}
                    entity={entity}
                    editing={editingId === entity.id}
                    onEdit={() => setEditingId(entity.id)}
                    onEditDone={() => setEditingId(null)}
                  />
                ))}
              </TableBody>
            </Table>
            <div className="flex flex-wrap items-center justify-between gap-2 text-sm text-muted-foreground">
              <span>
                Page {page} of {pages} ({list.data.count}{" "}
                {list.data.count === 1 ? "entity" : "entities"})
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

/** The create form: checked against the API's rules, then sent once per set of values. */
function NewEntity({ page }: { page: number }) {
  const queryClient = useQueryClient();
  // A new key remounts the form, which empties it after each created entity.
  const [formKey, setFormKey] = useState(0);
  // The same values sent again (after a lost answer, say) reuse the key: nothing is created twice.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const create = useMutation({
    ...createEntityMutation(),
    onSuccess: async (created) => {
      toast.success(`Created “${created.title}”`);
      attempt.current = null;
      setFormKey((key) => key + 1);
      await queryClient.invalidateQueries({ queryKey: listEntitiesQueryKey() });
    },
    onError: (error) => {
      toast.error("The entity was not saved", { description: describeApiError(error).message });
    },
  });
  const { reset } = create;
  // A problem with the last attempt is not news on another page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the page changes
  useEffect(() => reset(), [page, reset]);

  function send(fields: EntityFields) {
    const body = JSON.stringify(fields);
    if (attempt.current?.body !== body) {
      attempt.current = { body, key: crypto.randomUUID() };
    }
    create.mutate({ body: fields, headers: { "Idempotency-Key": attempt.current.key } });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>New entity</CardTitle>
      </CardHeader>
      <CardContent>
        <EntityForm
          key={formKey}
          schema={zEntityCreate}
          submitLabel="Create"
          pending={create.isPending}
          error={create.error}
          onSubmit={send}
        />
      </CardContent>
    </Card>
  );
}

function OfflineNotice({ shownPage, page }: { shownPage?: number; page?: number }) {
  return (
    <Alert role="status" id="stale-rows">
      <AlertDescription>
        {shownPage === undefined
          ? "You are offline: your entities load when the connection returns."
          : `You are offline: these are the entities of page ${shownPage}; page ${page} loads when the connection returns.`}
      </AlertDescription>
    </Alert>
  );
}

function ListSkeleton() {
  return (
    <div className="grid gap-3" data-testid="list-skeleton">
      <span className="sr-only">Loading entities…</span>
      {Array.from({ length: 4 }, (_, row) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <Skeleton key={row} className="h-10 w-full" />
      ))}
    </div>
  );
}
