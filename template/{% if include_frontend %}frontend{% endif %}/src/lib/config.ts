/**
 * Settings read once at start-up. A container serves /config.js from its environment, so one
 * image runs in staging and production; the VITE_ variables are the fallback for development.
 */
export interface AppConfig {
  apiUrl: string;
  clerkPublishableKey: string;
}

declare global {
  interface Window {
    __APP_CONFIG__?: Partial<AppConfig>;
  }
}

export function readConfig(runtime: Partial<AppConfig> | undefined, env: ImportMetaEnv): AppConfig {
  return {
    apiUrl: runtime?.apiUrl || env.VITE_API_URL || "http://127.0.0.1:8000",
    clerkPublishableKey: runtime?.clerkPublishableKey || env.VITE_CLERK_PUBLISHABLE_KEY || "",
  };
}

export const config = readConfig(window.__APP_CONFIG__, import.meta.env);
// index.html's <title> holds the project's name.
export const appName = document.title;
