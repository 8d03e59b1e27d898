import { SignIn } from "@clerk/react";
import { usesLocalAuth } from "@/lib/config";
import { ClerkSessionProvider } from "./clerk-session";
import { LocalSessionProvider } from "./local-session";
import { LocalSignIn } from "./local-sign-in";

// Chosen at build time: a production build never takes the local branch (see build-guard.ts).
export const AuthProvider = usesLocalAuth ? LocalSessionProvider : ClerkSessionProvider;

export function SignInPanel() {
  return usesLocalAuth ? <LocalSignIn /> : <SignIn routing="hash" forceRedirectUrl="/entities" />;
}
