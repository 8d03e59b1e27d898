import { defineConfig } from "@hey-api/openapi-ts";

// `make client` writes openapi.json from the backend app, then this generates src/client.
export default defineConfig({
  input: "./openapi.json",
  output: "src/client",
  plugins: [
    "@hey-api/client-fetch",
    "@hey-api/typescript",
    "@hey-api/sdk",
    "@tanstack/react-query",
  ],
});
