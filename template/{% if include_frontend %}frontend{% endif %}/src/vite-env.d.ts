/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** "local" signs in with `make token` instead of Clerk; refused in production builds. */
  readonly VITE_AUTH_MODE?: "clerk" | "local";
  readonly VITE_API_URL?: string;
  readonly VITE_CLERK_PUBLISHABLE_KEY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
