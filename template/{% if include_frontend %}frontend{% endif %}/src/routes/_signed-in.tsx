import { useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link, Navigate, Outlet, useLocation } from "@tanstack/react-router";
import { useEffect } from "react";
import { Toaster } from "sonner";
import { UserMenu } from "@/auth/current/ui";
import { leaveSignInNotice, useSession } from "@/auth/session";
import { Skeleton } from "@/components/ui/skeleton";
import { useApiSession } from "@/lib/api";
import { describeApiError } from "@/lib/api-error";
import { appName } from "@/lib/config";
import { useTheme } from "@/lib/theme";

export const Route = createFileRoute("/_signed-in")({
  component: SignedInLayout,
});

function SignedInLayout() {
  const session = useSession();
  const queryClient = useQueryClient();
  const location = useLocation();
  const theme = useTheme();
  useApiSession({
    getToken: session.getToken,
    // A refused or expired token ends the session: the sign-in page says why, then comes back.
    onUnauthorized: (error) => {
      leaveSignInNotice(
        `Your session has ended (${describeApiError(error).message}). Sign in again to continue.`,
      );
      void session.signOut();
    },
  });
  const signedOut = session.status === "signed-out";
  // The next user must not see this user's cached data.
  useEffect(() => {
    if (signedOut) {
      queryClient.clear();
    }
  }, [signedOut, queryClient]);

  if (session.status === "loading") {
    return <Skeleton className="m-6 h-8 w-48" aria-label="Loading" />;
  }
  if (signedOut) {
    // Until the sign-in page replaces this layout, it renders at the sign-in page's address.
    return location.pathname === "/sign-in" ? null : (
      <Navigate to="/sign-in" search={{ redirect: location.href }} replace />
    );
  }

  return (
    <div className="min-h-screen">
      <header className="border-b">
        <nav className="mx-auto flex max-w-5xl items-center gap-4 px-4 py-3 sm:px-6">
          <Link to="/entities" className="min-w-0 truncate font-semibold">
            {appName}
          </Link>
          <Link
            to="/entities"
            className="text-sm text-muted-foreground [&.active]:text-foreground max-sm:sr-only"
          >
            Entities
          </Link>
          <div className="ml-auto flex shrink-0 items-center gap-2">
            <UserMenu />
          </div>
        </nav>
      </header>
      <main className="mx-auto grid max-w-5xl gap-6 px-4 py-8 sm:px-6">
        <Outlet />
      </main>
      {/* The result of each change; sonner announces it to screen readers too. */}
      <Toaster theme={theme} position="bottom-right" closeButton />
    </div>
  );
}
