import { onlineManager } from "@tanstack/react-query";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, mayPassOnRetry } from "./api";
import { describeApiError } from "./api-error";

const invalid = {
  error: "Unprocessable Entity",
  message: "The request is invalid",
  code: "validation_error",
  request_id: "req-123",
  details: [{ field: "body.title", message: "too short", type: "string_too_short" }],
};

afterEach(() => onlineManager.setOnline(true));

describe("describeApiError", () => {
  it("keeps the message, request id and field details of the unified error shape", () => {
    const expected = {
      message: "The request is invalid",
      requestId: "req-123",
      details: [{ field: "body.title", message: "too short" }],
    };
    expect(describeApiError(new ApiError(422, invalid))).toEqual(expected);
    expect(describeApiError(invalid)).toEqual(expected);
  });

  it("explains a network failure, which has no request id", () => {
    expect(describeApiError(new TypeError("Failed to fetch"))).toEqual({
      message: "The API could not be reached (Failed to fetch)",
      requestId: null,
      details: [],
    });
  });

  it("says so when the browser is offline", () => {
    onlineManager.setOnline(false);
    expect(describeApiError(new TypeError("Failed to fetch")).message).toMatch(/offline/);
  });
});

describe("mayPassOnRetry", () => {
  it("retries what the network or a busy API failed, never a refusal", () => {
    expect(mayPassOnRetry(new TypeError("Failed to fetch"))).toBe(true);
    expect(mayPassOnRetry(new ApiError(503, invalid))).toBe(true);
    expect(mayPassOnRetry(new ApiError(429, invalid))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 422, 500]) {
      expect(mayPassOnRetry(new ApiError(status, invalid))).toBe(false);
    }
  });
});
