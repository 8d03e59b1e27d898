import { useSyncExternalStore } from "react";

/** The user's choice; "system" follows the operating system's light or dark setting. */
export type Theme = "light" | "dark" | "system";

const STORAGE_KEY = "theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";
const listeners = new Set<() => void>();

export function storedTheme(storage: Storage = window.localStorage): Theme {
  const stored = storage.getItem(STORAGE_KEY);
  return stored === "light" || stored === "dark" ? stored : "system";
}

/** Whether the page is dark now: the choice, or the system's setting under "system". */
export function isDark(theme: Theme): boolean {
  return theme === "dark" || (theme === "system" && window.matchMedia?.(DARK_QUERY).matches);
}

function apply(theme: Theme): void {
  const dark = isDark(theme);
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
  for (const listener of listeners) {
    listener();
  }
}

/** Applies the remembered choice, and follows the system's setting while it is chosen. */
export function startTheme(): void {
  apply(storedTheme());
  window.matchMedia?.(DARK_QUERY).addEventListener("change", () => apply(storedTheme()));
}

export function setTheme(theme: Theme, storage: Storage = window.localStorage): void {
  if (theme === "system") {
    storage.removeItem(STORAGE_KEY);
  } else {
    storage.setItem(STORAGE_KEY, theme);
  }
  apply(theme);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current choice; every user re-renders when it changes. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, () => storedTheme());
}
