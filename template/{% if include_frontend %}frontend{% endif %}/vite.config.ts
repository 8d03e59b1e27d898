import tailwindcss from "@tailwindcss/vite";
import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";
import { assertAuthModeAllowed } from "./src/auth/build-guard.ts";

export default defineConfig(({ mode, isPreview }) => {
  const authMode = loadEnv(mode, process.cwd(), "VITE_").VITE_AUTH_MODE;
  // Preview only serves what a build (checked here) already produced.
  if (!isPreview) {
    assertAuthModeAllowed(mode, authMode);
  }
  const src = (path: string) => new URL(`./src/${path}`, import.meta.url).pathname;
  return {
    plugins: [tanstackRouter({ target: "react", autoCodeSplitting: true }), react(), tailwindcss()],
    resolve: {
      alias: {
        // The build holds one sign-in mode's code only (src/auth/auth-mode.ts).
        "@/auth/current": src(authMode === "local" ? "auth/local" : "auth/clerk"),
        "@": new URL("./src", import.meta.url).pathname,
      },
    },
    // localhost, as in `make token`'s default authorized party.
    server: { host: "localhost", port: 5173, strictPort: true },
    preview: { host: "127.0.0.1", port: 4173, strictPort: true },
    test: {
      environment: "jsdom",
      include: ["src/**/*.test.{ts,tsx}"],
      setupFiles: ["src/test/setup.ts"],
    },
  };
});
