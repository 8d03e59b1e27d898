import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet } from "@tanstack/react-router";
import { Button } from "@/components/ui/button";
import { usePageTitle } from "@/lib/page-title";

export interface RouterContext {
  queryClient: QueryClient;
}

export const Route = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFound,
  errorComponent: ({ error, reset }) => <ErrorPage error={error} reset={reset} />,
});

function CenteredMessage({ title, children }: { title: string; children: React.ReactNode }) {
  usePageTitle(title);
  return (
    <main className="grid min-h-screen place-items-center p-6 text-center">
      <div className="grid gap-4">
        <h1 className="text-2xl font-semibold">{title}</h1>
        {children}
      </div>
    </main>
  );
}

function NotFound() {
  return (
    <CenteredMessage title="Page not found">
      <p className="text-muted-foreground">There is nothing at this address.</p>
      <Button asChild>
        <Link to="/">Back to the start</Link>
      </Button>
    </CenteredMessage>
  );
}

function ErrorPage({ error, reset }: { error: unknown; reset: () => void }) {
  return (
    <CenteredMessage title="Something went wrong">
      <p className="text-muted-foreground">
        {error instanceof Error ? error.message : String(error)}
      </p>
      <Button onClick={reset}>Try again</Button>
    </CenteredMessage>
  );
}
