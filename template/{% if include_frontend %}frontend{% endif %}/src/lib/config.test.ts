import { describe, expect, it } from "vitest";
import { readConfig } from "./config";

describe("readConfig", () => {
  it("prefers the container's runtime values to the build's", () => {
    const config = readConfig(
      { apiUrl: "https://api.example.com", clerkPublishableKey: "pk_live_runtime" },
      {
        VITE_API_URL: "http://localhost:9999",
        VITE_CLERK_PUBLISHABLE_KEY: "pk_test_build",
      } as ImportMetaEnv,
    );

    expect(config).toEqual({
      apiUrl: "https://api.example.com",
      clerkPublishableKey: "pk_live_runtime",
    });
  });

  it("falls back to the build's values, then to the local API", () => {
    expect(
      readConfig({ apiUrl: "" }, { VITE_API_URL: "http://localhost:9999" } as ImportMetaEnv).apiUrl,
    ).toBe("http://localhost:9999");
    expect(readConfig(undefined, {} as ImportMetaEnv).apiUrl).toBe("http://127.0.0.1:8000");
  });
});
