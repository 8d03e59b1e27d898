import { readFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, expect, type Page, type TestInfo } from "@playwright/test";
import { apiUrl, tokenFile } from "../playwright.config";

/** The session token the API server wrote for this run's user (user_e2e). */
export function sessionToken(): string {
  return readFileSync(tokenFile, "utf8").trim();
}

/** The same token with its signature spoiled: well-formed, unexpired, refused by the API. */
export function refusedToken(): string {
  const [header, payload, signature = ""] = sessionToken().split(".");
  const spoiled = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
  return `${header}.${payload}.${spoiled}`;
}

export async function signIn(page: Page, token = sessionToken()): Promise<void> {
  if (!page.url().includes("/sign-in")) {
    await page.goto("/sign-in");
  }
  await page.getByLabel("Session token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signInToEntities(page: Page): Promise<void> {
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Entities" })).toBeVisible();
}

const headers = () => ({ Authorization: `Bearer ${sessionToken()}` });

/** Every test starts from an empty list: the API server keeps its database for the whole run. */
export async function deleteAllEntities(request: APIRequestContext): Promise<void> {
  for (;;) {
    const page = await request.get(`${apiUrl}/api/v1/entities?limit=100`, { headers: headers() });
    expect(page.status()).toBe(200);
    const { data } = (await page.json()) as { data: { id: string }[] };
    if (data.length === 0) {
      return;
    }
    for (const entity of data) {
      const deleted = await request.delete(`${apiUrl}/api/v1/entities/${entity.id}`, {
        headers: headers(),
      });
      expect(deleted.status()).toBe(204);
    }
  }
}

/** Creates Item 1 … Item n through the API, oldest first (the list shows the newest first). */
export async function createEntities(request: APIRequestContext, count: number): Promise<void> {
  for (let number = 1; number <= count; number++) {
    const created = await request.post(`${apiUrl}/api/v1/entities`, {
      headers: headers(),
      data: { title: `Item ${number}` },
    });
    expect(created.status()).toBe(201);
  }
}

export async function entityCount(request: APIRequestContext): Promise<number> {
  const page = await request.get(`${apiUrl}/api/v1/entities?limit=1`, { headers: headers() });
  return ((await page.json()) as { count: number }).count;
}

/** A screenshot kept with the run's artifacts: test-results/screenshots/<project>/<name>.png. */
export async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({
    path: `test-results/screenshots/${testInfo.project.name}/${name}.png`,
    fullPage: true,
  });
}

/** Resolves once no CSS transition runs, two animation frames in a row: colours mid-way (a
 * theme just switched, a toast fading in or out) are neither state's. Endless animations
 * (skeletons) are not waited for. */
async function transitionsEnded(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const running = () =>
      document
        .getAnimations()
        .filter(
          (animation) => animation instanceof CSSTransition && animation.playState === "running",
        );
    const nextFrames = () =>
      new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    for (;;) {
      await Promise.all(running().map((animation) => animation.finished.catch(() => undefined)));
      await nextFrames();
      if (running().length === 0) return;
    }
  });
}

async function graveProblems(page: Page): Promise<string[]> {
  await transitionsEnded(page);
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help}\n` +
        violation.nodes
          .map((node) => `    ${node.target.join(" ")}: ${node.failureSummary}`)
          .join("\n"),
    );
}

/** No serious or critical WCAG 2.x A/AA problem on the page as it is now. A toast may start to
 * fade out on its own timer while axe reads the page, so a problem counts only if it is still
 * there when the page is read again; a real one always is. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  let grave = await graveProblems(page);
  for (let again = 0; again < 2 && grave.length > 0; again++) {
    grave = await graveProblems(page);
  }
  expect(grave, `${what}: accessibility problems`).toEqual([]);
}

/** The page fits its width: nothing scrolls sideways. */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(0);
}

/** The element is wholly inside the viewport's width. */
export async function expectWithinWidth(page: Page, locator: ReturnType<Page["locator"]>) {
  const box = await locator.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  expect(box, "the element is laid out").not.toBeNull();
  expect(box?.x ?? -1).toBeGreaterThanOrEqual(0);
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
}
