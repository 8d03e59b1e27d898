import { ClerkProvider, useAuth } from "@clerk/react";
import { type ReactNode, useMemo } from "react";
import { config } from "@/lib/config";
import type { AuthProviderModule } from "../auth-mode";
import { type Session, SessionContext } from "../session";

function ClerkSession({ children }: { children: ReactNode }) {
  const { isLoaded, isSignedIn, userId, getToken, signOut } = useAuth();
  const session = useMemo<Session>(
    () => ({
      status: !isLoaded ? "loading" : isSignedIn ? "signed-in" : "signed-out",
      userId: userId ?? null,
      getToken: () => getToken(),
      signOut: () => signOut(),
    }),
    [isLoaded, isSignedIn, userId, getToken, signOut],
  );
  return <SessionContext value={session}>{children}</SessionContext>;
}

export function ClerkSessionProvider({ children }: { children: ReactNode }) {
  if (!config.clerkPublishableKey) {
    throw new Error(
      "Set VITE_CLERK_PUBLISHABLE_KEY (or clerkPublishableKey in /config.js), or use " +
        "VITE_AUTH_MODE=local for development without a Clerk account.",
    );
  }
  return (
    <ClerkProvider publishableKey={config.clerkPublishableKey} afterSignOutUrl="/sign-in">
      <ClerkSession>{children}</ClerkSession>
    </ClerkProvider>
  );
}

export const AuthProvider: AuthProviderModule["AuthProvider"] = ClerkSessionProvider;
