import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { preferredTheme, useTheme } from "./theme";

describe("useTheme", () => {
  it("toggles the dark class on the page and remembers the choice", () => {
    window.localStorage.setItem("theme", "light");
    const { result } = renderHook(() => useTheme());
    expect(result.current[0]).toBe("light");

    act(() => result.current[1]());

    expect(result.current[0]).toBe("dark");
    expect(document.documentElement.classList.contains("dark")).toBe(true);
    expect(preferredTheme()).toBe("dark");

    act(() => result.current[1]());

    expect(document.documentElement.classList.contains("dark")).toBe(false);
    expect(window.localStorage.getItem("theme")).toBe("light");
  });
});
