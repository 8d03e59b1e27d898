/**
 * Local sign-in trusts a development key, so a production build must never contain it.
 * vite.config.ts calls this before every build and dev server start.
 */
export function assertAuthModeAllowed(mode: string, authMode: string | undefined): void {
  if (authMode !== undefined && authMode !== "local" && authMode !== "clerk") {
    throw new Error(`VITE_AUTH_MODE must be "clerk" or "local", not "${authMode}"`);
  }
  if (mode === "production" && authMode === "local") {
    throw new Error(
      "VITE_AUTH_MODE=local cannot be built for production: it signs in with a local " +
        "development key. Unset VITE_AUTH_MODE (Clerk is the default) or build with --mode e2e.",
    );
  }
}
