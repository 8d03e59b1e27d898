import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { setTheme, storedTheme, useTheme } from "./theme";

describe("theme", () => {
  it("applies the chosen theme to the page, remembers it, and tells its users", () => {
    const { result } = renderHook(() => useTheme());
    expect(result.current).toBe("system");

    act(() => setTheme("dark"));

    expect(result.current).toBe("dark");
    expect(document.documentElement.classList.contains("dark")).toBe(true);
    expect(storedTheme()).toBe("dark");

    act(() => setTheme("light"));

    expect(result.current).toBe("light");
    expect(document.documentElement.classList.contains("dark")).toBe(false);
    expect(window.localStorage.getItem("theme")).toBe("light");
  });

  it("forgets the choice when the system's theme is chosen", () => {
    window.localStorage.setItem("theme", "dark");

    setTheme("system");

    expect(window.localStorage.getItem("theme")).toBeNull();
    expect(storedTheme()).toBe("system");
  });
});
