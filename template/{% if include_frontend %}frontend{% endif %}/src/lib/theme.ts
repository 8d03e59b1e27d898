import { useCallback, useState } from "react";

export type Theme = "light" | "dark";

const STORAGE_KEY = "theme";

export function preferredTheme(storage: Storage = window.localStorage): Theme {
  const stored = storage.getItem(STORAGE_KEY);
  if (stored === "light" || stored === "dark") {
    return stored;
  }
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(theme: Theme): void {
  document.documentElement.classList.toggle("dark", theme === "dark");
}

/** The current theme, and a toggle that applies and remembers the other one. */
export function useTheme(storage: Storage = window.localStorage): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => preferredTheme(storage));
  const toggle = useCallback(() => {
    setTheme((current) => {
      const next = current === "dark" ? "light" : "dark";
      storage.setItem(STORAGE_KEY, next);
      applyTheme(next);
      return next;
    });
  }, [storage]);
  return [theme, toggle];
}
