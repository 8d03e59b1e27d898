import { useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link, Navigate, Outlet } from "@tanstack/react-router";
import { useSession } from "@/auth/session";
import { ThemeToggle } from "@/components/theme-toggle";
import { Button } from "@/components/ui/button";
import { useSessionToken } from "@/lib/api";
import { appName } from "@/lib/config";

export const Route = createFileRoute("/_signed-in")({
  component: SignedInLayout,
});

function SignedInLayout() {
  const session = useSession();
  const queryClient = useQueryClient();
  useSessionToken(session.getToken);

  if (session.status === "loading") {
    return <p className="p-6 text-muted-foreground">Loading…</p>;
  }
  if (session.status === "signed-out") {
    return <Navigate to="/sign-in" />;
  }

  async function signOut() {
    await session.signOut();
    // The next user must not see this user's cached data.
    queryClient.clear();
  }

  return (
    <div className="min-h-screen">
      <header className="border-b">
        <nav className="mx-auto flex max-w-5xl items-center gap-4 px-6 py-3">
          <Link to="/entities" className="font-semibold">
            {appName}
          </Link>
          <Link to="/entities" className="text-sm text-muted-foreground [&.active]:text-foreground">
            Entities
          </Link>
          <div className="ml-auto flex items-center gap-2">
            <span className="text-sm text-muted-foreground" data-testid="user-id">
              {session.userId}
            </span>
            <ThemeToggle />
            <Button variant="outline" size="sm" onClick={signOut}>
              Sign out
            </Button>
          </div>
        </nav>
      </header>
      <main className="mx-auto grid max-w-5xl gap-6 px-6 py-8">
        <Outlet />
      </main>
    </div>
  );
}
