import { useEffect } from "react";
import { appName } from "./config";

/** The tab's title: the page's, then the service's name. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ${appName}`;
  }, [title]);
}
