import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { readClaims, tokenProblem, useLocalSession } from "./provider";

function fakeToken(claims: object): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "");
  return `${encode({ alg: "RS256" })}.${encode(claims)}.signature`;
}

const inOneHour = Math.floor(Date.now() / 1000) + 3600;

describe("tokenProblem", () => {
  it("accepts an unexpired token and reads its user", () => {
    const token = fakeToken({ sub: "user_local", exp: inOneHour });

    expect(tokenProblem(token)).toBeNull();
    expect(readClaims(token)?.sub).toBe("user_local");
  });

  it("explains an expired token and text that is no token", () => {
    expect(tokenProblem(fakeToken({ sub: "user_local", exp: 1 }))).toMatch(/expired/);
    expect(tokenProblem("hello")).toMatch(/not a session token/);
    expect(tokenProblem("a.b.c")).toMatch(/not a session token/);
  });
});

describe("useLocalSession", () => {
  it("signs in with a pasted token, hands it to the API, and signs out", async () => {
    const token = fakeToken({ sub: "user_local", exp: inOneHour });
    const { result } = renderHook(() => useLocalSession(window.sessionStorage));
    expect(result.current.status).toBe("signed-out");

    act(() => result.current.signIn(`  ${token}\n`));

    expect(result.current.status).toBe("signed-in");
    expect(result.current.userId).toBe("user_local");
    expect(await result.current.getToken()).toBe(token);

    await act(() => result.current.signOut());

    expect(result.current.status).toBe("signed-out");
    expect(await result.current.getToken()).toBeNull();
    expect(window.sessionStorage.length).toBe(0);
  });

  it("keeps the session across reloads of the tab, but not an expired one", () => {
    window.sessionStorage.setItem(
      "local-session-token",
      fakeToken({ sub: "user_local", exp: inOneHour }),
    );
    expect(renderHook(() => useLocalSession()).result.current.status).toBe("signed-in");

    window.sessionStorage.setItem("local-session-token", fakeToken({ sub: "user_local", exp: 1 }));
    expect(renderHook(() => useLocalSession()).result.current.status).toBe("signed-out");
  });

  it("refuses a bad token with the reason", () => {
    const { result } = renderHook(() => useLocalSession());

    expect(() => result.current.signIn("not-a-token")).toThrow(/not a session token/);
    expect(result.current.status).toBe("signed-out");
  });
});
