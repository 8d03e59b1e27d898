import { defineConfig } from "@playwright/test";

// The built app (vite preview) against the real API on the embedded stack's throwaway
// PostgreSQL and PostgREST (backend/tests/integration/serve.py). Ports differ from make dev's.
const appUrl = "http://127.0.0.1:4173";
const apiPort = 8765;
export const apiUrl = `http://127.0.0.1:${apiPort}`;
export const tokenFile = "test-results/session-token.txt";

const chromium = process.env.CHROMIUM_PATH;
if (!chromium) {
  throw new Error(
    "Set CHROMIUM_PATH to a Chromium or Chrome binary (`make e2e` finds one; on Debian: apt install chromium).",
  );
}

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/artifacts",
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  // Every test runs twice: on a desktop in the light scheme, and on a 390 px phone in the dark.
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 800 }, colorScheme: "light" } },
    {
      name: "phone-dark",
      use: {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        colorScheme: "dark",
      },
    },
  ],
  use: {
    baseURL: appUrl,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      // A fresh profile per run; no background calls to Google, which closed networks refuse.
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: [
    {
      command: `cd ../backend && uv run --locked python -m tests.integration.serve --port ${apiPort} --origin ${appUrl} --token-file ../frontend/${tokenFile}`,
      url: `${apiUrl}/healthz`,
      timeout: 60_000,
      reuseExistingServer: false,
      gracefulShutdown: { signal: "SIGINT", timeout: 10_000 },
    },
    {
      // Its own folder: dist/ stays the production build.
      command: "bun run build:e2e && bun run preview:e2e",
      url: appUrl,
      timeout: 120_000,
      reuseExistingServer: false,
      env: { VITE_AUTH_MODE: "local", VITE_API_URL: apiUrl },
    },
  ],
});
