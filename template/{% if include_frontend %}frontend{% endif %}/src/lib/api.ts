import { client } from "@/client/client.gen";
import { config } from "./config";

let tokenSource: () => Promise<string | null> = async () => null;

// Secured operations ask this for a token on every call, so a refreshed token is always used.
client.setConfig({
  baseUrl: config.apiUrl,
  auth: async () => (await tokenSource()) ?? undefined,
});

/** Makes the generated client send the current session's token. */
export function useSessionToken(getToken: () => Promise<string | null>): void {
  tokenSource = getToken;
}
