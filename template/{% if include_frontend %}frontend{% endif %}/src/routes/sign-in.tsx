import { createFileRoute, useRouter } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { SignInPanel } from "@/auth/current/ui";
import { clearSignInNotice, readSignInNotice, useSession } from "@/auth/session";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { usePageTitle } from "@/lib/page-title";

/** Where to go after signing in: a path of this app only, never another site. */
function redirectFrom(value: unknown): string | undefined {
  return typeof value === "string" && /^\/(?!\/)/.test(value) && !value.startsWith("/sign-in")
    ? value
    : undefined;
}

export const Route = createFileRoute("/sign-in")({
  validateSearch: (search: Record<string, unknown>): { redirect?: string } => {
    const redirect = redirectFrom(search.redirect);
    return redirect ? { redirect } : {};
  },
  component: SignInPage,
});

function SignInPage() {
  usePageTitle("Sign in");
  const session = useSession();
  const router = useRouter();
  const redirect = Route.useSearch().redirect ?? "/entities";
  const [notice] = useState(readSignInNotice);

  useEffect(() => {
    if (session.status === "signed-in") {
      clearSignInNotice();
      router.history.replace(redirect);
    }
  }, [session.status, redirect, router]);

  return (
    <main className="grid min-h-screen place-items-center content-center gap-4 p-4 sm:p-6">
      {notice && (
        <Alert role="status" className="w-full max-w-md">
          <AlertDescription>{notice}</AlertDescription>
        </Alert>
      )}
      {session.status === "signed-out" && <SignInPanel redirect={redirect} />}
    </main>
  );
}
