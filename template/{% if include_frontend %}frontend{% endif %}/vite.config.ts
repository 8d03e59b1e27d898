import tailwindcss from "@tailwindcss/vite";
import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";
import { assertAuthModeAllowed } from "./src/auth/build-guard.ts";

export default defineConfig(({ mode, isPreview }) => {
  // Preview only serves what a build (checked here) already produced.
  if (!isPreview) {
    assertAuthModeAllowed(mode, loadEnv(mode, process.cwd(), "VITE_").VITE_AUTH_MODE);
  }
  return {
    plugins: [tanstackRouter({ target: "react", autoCodeSplitting: true }), react(), tailwindcss()],
    resolve: { alias: { "@": new URL("./src", import.meta.url).pathname } },
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
