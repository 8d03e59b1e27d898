import { createContext, useContext } from "react";

/** The signed-in user as the app sees it, whichever sign-in (Clerk or local) provides it. */
export interface Session {
  status: "loading" | "signed-in" | "signed-out";
  userId: string | null;
  /** A fresh session token for the API, or null when signed out. */
  getToken: () => Promise<string | null>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) {
    throw new Error("useSession must be used inside <AuthProvider>");
  }
  return session;
}

// Why the last session ended, for the sign-in page; in the tab's storage, as a Clerk sign-out
// may reload the page.
const NOTICE_KEY = "sign-in-notice";

export function leaveSignInNotice(notice: string): void {
  window.sessionStorage.setItem(NOTICE_KEY, notice);
}

export function readSignInNotice(): string | null {
  return window.sessionStorage.getItem(NOTICE_KEY);
}

export function clearSignInNotice(): void {
  window.sessionStorage.removeItem(NOTICE_KEY);
}
