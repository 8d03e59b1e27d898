import { client } from "@/client/client.gen";
import { config } from "./config";

/** A call the API answered with an error status; `body` is its unified error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`The API answered ${status}`);
    this.name = "ApiError";
  }
}

interface ApiSession {
  getToken: () => Promise<string | null>;
  /** Called when the API refuses the session's token (401): the session is over. */
  onUnauthorized: (error: ApiError) => void;
}

let session: ApiSession = { getToken: async () => null, onUnauthorized: () => {} };

// Secured operations ask this for a token on every call, so a refreshed token is always used.
client.setConfig({
  baseUrl: config.apiUrl,
  auth: async () => (await session.getToken()) ?? undefined,
});

// The status travels with the API's error body, so the app can tell 401 from 422 from 503.
client.interceptors.error.use((error, response) => {
  if (response === undefined) {
    return error; // Not answered: the network failed.
  }
  const failure = new ApiError(response.status, error);
  if (response.status === 401) {
    session.onUnauthorized(failure);
  }
  return failure;
});

/** Makes the generated client send the current session's token, and end it when refused. */
export function useApiSession(current: ApiSession): void {
  session = current;
}

// Worth a second try: the API was not reached, or it says it is busy or briefly unavailable.
const TRANSIENT_STATUSES = new Set([408, 429, 502, 503, 504]);

export function mayPassOnRetry(error: unknown): boolean {
  return error instanceof ApiError ? TRANSIENT_STATUSES.has(error.status) : true;
}

/** TanStack Query's retry option: once, and only what may pass on a second try. */
export function retryOnce(failureCount: number, error: unknown): boolean {
  return failureCount < 1 && mayPassOnRetry(error);
}
