import { SignIn } from "@clerk/react";
import { ClerkSessionProvider } from "./clerk-session";
import { LocalSessionProvider } from "./local-session";
import { LocalSignIn } from "./local-sign-in";

// Decided when the app is built, so a Clerk build leaves local sign-in out (see build-guard.ts).
const usesLocalAuth = import.meta.env.VITE_AUTH_MODE === "local";

export const AuthProvider = usesLocalAuth ? LocalSessionProvider : ClerkSessionProvider;

export function SignInPanel() {
  return usesLocalAuth ? <LocalSignIn /> : <SignIn routing="hash" forceRedirectUrl="/entities" />;
}
