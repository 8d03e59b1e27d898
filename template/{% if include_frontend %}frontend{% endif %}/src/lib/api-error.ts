import { onlineManager } from "@tanstack/react-query";
import type { ErrorResponse } from "@/client";
import { ApiError } from "./api";

/** What the UI shows for a failed call: the API's own message and request id when it sent them. */
export interface ApiProblem {
  message: string;
  requestId: string | null;
  details: { field: string; message: string }[];
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ErrorResponse).message === "string" &&
    typeof (value as ErrorResponse).request_id === "string"
  );
}

export function describeApiError(error: unknown): ApiProblem {
  const body = error instanceof ApiError ? error.body : error;
  if (isErrorResponse(body)) {
    return {
      message: body.message,
      requestId: body.request_id || null,
      details: (body.details ?? []).map(({ field, message }) => ({ field, message })),
    };
  }
  if (error instanceof ApiError) {
    return { message: `The API answered ${error.status}`, requestId: null, details: [] };
  }
  if (!onlineManager.isOnline()) {
    return {
      message: "You are offline. Nothing was sent: try again when you are back online.",
      requestId: null,
      details: [],
    };
  }
  const message = error instanceof Error ? error.message : "Something went wrong";
  return { message: `The API could not be reached (${message})`, requestId: null, details: [] };
}
