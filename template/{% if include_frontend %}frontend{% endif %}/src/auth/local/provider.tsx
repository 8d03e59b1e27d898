import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from "react";
import type { AuthProviderModule } from "../auth-mode";
import { leaveSignInNotice, type Session, SessionContext } from "../session";

// Per tab, and gone when the tab closes: the token is a development convenience.
const STORAGE_KEY = "local-session-token";

interface TokenClaims {
  sub: string;
  exp: number;
}

/** Reads (does not verify) a token's claims: the API verifies every request. */
export function readClaims(token: string): TokenClaims | null {
  const payload = token.split(".")[1];
  if (token.split(".").length !== 3 || !payload) {
    return null;
  }
  try {
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    if (
      typeof claims === "object" &&
      claims !== null &&
      typeof (claims as TokenClaims).sub === "string" &&
      typeof (claims as TokenClaims).exp === "number"
    ) {
      return claims as TokenClaims;
    }
  } catch {
    // Not base64 or not JSON: not a token.
  }
  return null;
}

/** Why a pasted token cannot be used, or null when it can. */
export function tokenProblem(token: string, nowSeconds = Date.now() / 1000): string | null {
  const claims = readClaims(token.trim());
  if (claims === null) {
    return "That is not a session token.";
  }
  if (claims.exp <= nowSeconds) {
    return "That token has expired.";
  }
  return null;
}

export interface LocalSession extends Session {
  signIn: (token: string) => void;
}

export function useLocalSession(storage: Storage = window.sessionStorage): LocalSession {
  const [token, setToken] = useState<string | null>(() => {
    const stored = storage.getItem(STORAGE_KEY);
    return stored !== null && tokenProblem(stored) === null ? stored : null;
  });

  const signIn = useCallback(
    (pasted: string) => {
      const problem = tokenProblem(pasted);
      if (problem !== null) {
        throw new Error(problem);
      }
      storage.setItem(STORAGE_KEY, pasted.trim());
      setToken(pasted.trim());
    },
    [storage],
  );
  const signOut = useCallback(async () => {
    storage.removeItem(STORAGE_KEY);
    setToken(null);
  }, [storage]);
  const getToken = useCallback(async () => token, [token]);

  // At its expiry the session ends, and the sign-in page says why.
  useEffect(() => {
    const expiry = token === null ? null : readClaims(token)?.exp;
    if (expiry == null) {
      return;
    }
    const timer = window.setTimeout(
      () => {
        leaveSignInNotice("Your session has expired. Sign in again to continue.");
        void signOut();
      },
      // setTimeout holds at most 2^31 - 1 ms (24.8 days).
      Math.min(Math.max(0, expiry * 1000 - Date.now()), 2 ** 31 - 1),
    );
    return () => window.clearTimeout(timer);
  }, [token, signOut]);

  return useMemo(
    () => ({
      status: token === null ? "signed-out" : "signed-in",
      userId: token === null ? null : (readClaims(token)?.sub ?? null),
      getToken,
      signIn,
      signOut,
    }),
    [token, getToken, signIn, signOut],
  );
}

const LocalSessionContext = createContext<LocalSession | null>(null);

export function useLocalSignIn(): LocalSession["signIn"] {
  const session = useContext(LocalSessionContext);
  if (session === null) {
    throw new Error("useLocalSignIn must be used inside <LocalSessionProvider>");
  }
  return session.signIn;
}

export function LocalSessionProvider({ children }: { children: ReactNode }) {
  const session = useLocalSession();
  return (
    <LocalSessionContext value={session}>
      <SessionContext value={session}>{children}</SessionContext>
    </LocalSessionContext>
  );
}

export const AuthProvider: AuthProviderModule["AuthProvider"] = LocalSessionProvider;
