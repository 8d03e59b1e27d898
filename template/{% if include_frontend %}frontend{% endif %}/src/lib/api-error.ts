import type { ErrorResponse } from "@/client";

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
  if (isErrorResponse(error)) {
    return {
      message: error.message,
      requestId: error.request_id || null,
      details: (error.details ?? []).map(({ field, message }) => ({ field, message })),
    };
  }
  const message = error instanceof Error ? error.message : "Something went wrong";
  return { message: `The API could not be reached (${message})`, requestId: null, details: [] };
}
