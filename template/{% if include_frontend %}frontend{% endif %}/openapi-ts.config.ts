import { defineConfig } from "@hey-api/openapi-ts";

// `make client` writes openapi.json from the backend app, then this generates src/client:
// the typed calls, their TanStack Query options, and Zod schemas of the API's rules, which the
// forms check before sending (Zod Mini: the same checks, a smaller bundle).
export default defineConfig({
  input: "./openapi.json",
  output: "src/client",
  plugins: [
    "@hey-api/client-fetch",
    "@hey-api/typescript",
    "@hey-api/sdk",
    "@tanstack/react-query",
    { name: "zod", compatibilityVersion: "mini" },
  ],
});
