import type { ComponentType, ReactNode } from "react";

/**
 * What a sign-in mode gives the app. `@/auth/current/` resolves to `clerk/` or `local/` when
 * the app is built (vite.config.ts), so a build holds one mode's code only: a local build
 * ships no Clerk, a Clerk build no local sign-in. Each mode has two modules, so the start-up
 * code loads the session provider and the pages load the rest.
 */
export interface AuthProviderModule {
  AuthProvider: ComponentType<{ children: ReactNode }>;
}

export interface AuthUiModule {
  /** The sign-in form; `redirect` is where a successful sign-in goes. */
  SignInPanel: ComponentType<{ redirect: string }>;
  /** The header's menu of the signed-in user: who, the theme, sign out. */
  UserMenu: ComponentType;
}
