import { describe, expect, it } from "vitest";
import { describeApiError } from "./api-error";

describe("describeApiError", () => {
  it("keeps the message, request id and field details of the unified error shape", () => {
    const problem = describeApiError({
      error: "Unprocessable Entity",
      message: "The request is invalid",
      code: "validation_error",
      request_id: "req-123",
      details: [{ field: "body.title", message: "too short", type: "string_too_short" }],
    });

    expect(problem).toEqual({
      message: "The request is invalid",
      requestId: "req-123",
      details: [{ field: "body.title", message: "too short" }],
    });
  });

  it("explains a network failure, which has no request id", () => {
    expect(describeApiError(new TypeError("Failed to fetch"))).toEqual({
      message: "The API could not be reached (Failed to fetch)",
      requestId: null,
      details: [],
    });
  });
});
