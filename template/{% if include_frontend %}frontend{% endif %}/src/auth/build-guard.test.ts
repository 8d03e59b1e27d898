import { describe, expect, it } from "vitest";
import { assertAuthModeAllowed } from "./build-guard";

describe("assertAuthModeAllowed", () => {
  it("refuses local sign-in in a production build", () => {
    expect(() => assertAuthModeAllowed("production", "local")).toThrow(
      /cannot be built for production/,
    );
  });

  it("allows Clerk in production and local sign-in elsewhere", () => {
    expect(() => assertAuthModeAllowed("production", undefined)).not.toThrow();
    expect(() => assertAuthModeAllowed("production", "clerk")).not.toThrow();
    expect(() => assertAuthModeAllowed("development", "local")).not.toThrow();
    expect(() => assertAuthModeAllowed("e2e", "local")).not.toThrow();
  });

  it("names the allowed values for an unknown mode", () => {
    expect(() => assertAuthModeAllowed("development", "magic")).toThrow(/"clerk" or "local"/);
  });
});
