// What using the app found (issue #18), each the way a person meets it.
import { expect, type Page, test } from "@playwright/test";
import { apiUrl } from "../playwright.config";
import {
  createEntities,
  deleteAllEntities,
  entityCount,
  expectNoSidewaysScroll,
  expectWithinWidth,
  refusedToken,
  sessionToken,
  signIn,
  signInToEntities,
  snap,
} from "./support";

test.beforeEach(async ({ request }) => {
  await deleteAllEntities(request);
});

const rows = (page: Page) => page.getByTestId("entity-row");

test("1. a page number that is not a whole number from 1 shows the first page", async ({
  page,
  request,
}) => {
  await createEntities(request, 12);
  await signInToEntities(page);
  for (const page_ of ["abc", "0", "-3", "1.5", "2abc", ""]) {
    await page.goto(`/entities?page=${page_}`);
    await expect(page.getByText("Page 1 of 2 (12 entities)")).toBeVisible();
    await expect(page.getByRole("alert")).toHaveCount(0);
    await expect(page).toHaveURL(/\/entities$/);
  }
});

test("2. a long unbroken title wraps inside its row", async ({ page, request }) => {
  const title = "A".repeat(255);
  await request.post(`${apiUrl}/api/v1/entities`, {
    headers: { Authorization: `Bearer ${sessionToken()}` },
    data: { title, description: "Beside a long title" },
  });
  await createEntities(request, 2);
  await signInToEntities(page);
  await expect(rows(page)).toHaveCount(3);
  await expectNoSidewaysScroll(page);
  for (const row of await rows(page).all()) {
    await expectWithinWidth(page, row.getByRole("button", { name: "Delete" }));
  }
  await expectWithinWidth(page, page.getByText("Beside a long title"));
  await expectWithinWidth(page, page.getByText(title));
});

test("3. a page past the end shows the last page: ?page=99, or after deleting its last entity", async ({
  page,
  request,
}) => {
  await createEntities(request, 21);
  await signInToEntities(page);

  await page.goto("/entities?page=99");
  await expect(page).toHaveURL(/page=3$/);
  await expect(page.getByText("Page 3 of 3 (21 entities)")).toBeVisible();
  await expect(rows(page)).toHaveText([/Item 1/]);

  await rows(page).getByRole("button", { name: "Delete" }).click();
  await rows(page).getByRole("button", { name: "Confirm delete" }).click();
  await expect(page).toHaveURL(/page=2$/);
  await expect(page.getByText("Page 2 of 2 (20 entities)")).toBeVisible();
  await expect(rows(page)).toHaveCount(10);
});

test("4a. offline, Create says it was not saved, and nothing is sent when the network returns", async ({
  page,
  context,
  request,
}, testInfo) => {
  await signInToEntities(page);
  const newEntity = page.getByRole("form", { name: "Create" });
  await newEntity.getByLabel("Title").fill("Written on a train");

  await context.setOffline(true);
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(newEntity.getByRole("alert")).toContainText("You are offline");
  await expect(newEntity.getByRole("button", { name: "Create" })).toBeEnabled();
  await expect(page.getByText("The entity was not saved").first()).toBeVisible();
  await snap(page, testInfo, "offline-create");

  await context.setOffline(false);
  await page.waitForTimeout(1000);
  expect(await entityCount(request)).toBe(0);
  // What was typed is kept: sending again works.
  await expect(newEntity.getByLabel("Title")).toHaveValue("Written on a train");
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(rows(page)).toHaveCount(1);
});

test("4b. offline, Next says the rows shown are the previous page's", async ({
  page,
  context,
  request,
}, testInfo) => {
  await createEntities(request, 12);
  await signInToEntities(page);
  await expect(page.getByText("Page 1 of 2 (12 entities)")).toBeVisible();

  await context.setOffline(true);
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page.getByRole("status").filter({ hasText: "You are offline" })).toContainText(
    "these are the entities of page 1; page 2 loads when the connection returns",
  );
  await expect(page.locator("table[data-stale]")).toBeVisible();
  await snap(page, testInfo, "offline-next");

  await context.setOffline(false);
  await expect(rows(page)).toHaveText([/Item 2/, /Item 1/]);
  await expect(page.getByText("You are offline")).toHaveCount(0);
  await expect(page.locator("table[data-stale]")).toHaveCount(0);
});

test("5a. a refused token ends the session and the sign-in page says why", async ({ page }) => {
  await signIn(page, refusedToken());
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole("status")).toContainText("Your session has ended");
  await expect(page.getByRole("status")).toContainText("Sign in again");
  await expect(page.getByLabel("Session token")).toBeVisible();

  await signInToEntities(page);
  await expect(page.getByText("Your session has ended")).toHaveCount(0);
});

test("5b. an expired session ends at its expiry, and signing in again returns to the page", async ({
  page,
  request,
}) => {
  await createEntities(request, 12);
  await page.clock.install();
  await signInToEntities(page);
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/page=2/);

  await page.clock.fastForward("01:00:05");
  await expect(page).toHaveURL(/\/sign-in\?redirect=/);
  await expect(page.getByRole("status")).toContainText("Your session has expired");
});

test("5c. a deep link survives signing in", async ({ page, request }) => {
  await createEntities(request, 12);
  await page.goto("/entities?page=2");
  await expect(page).toHaveURL(/\/sign-in\?redirect=/);
  await signIn(page);
  await expect(page).toHaveURL(/\/entities\?page=2$/);
  await expect(page.getByText("Page 2 of 2 (12 entities)")).toBeVisible();
});

test("5d. local sign-in explains a bad token without markdown", async ({ page }) => {
  await signIn(page, "hello");
  const problem = page.getByRole("alert");
  await expect(problem).toContainText("That is not a session token. Run make token for a new one.");
  await expect(problem.locator("code")).toHaveText("make token");
  await expect(page.getByText("`")).toHaveCount(0);
});

test("6. only what may pass on a second try is retried: not a refused token", async ({ page }) => {
  const lists: number[] = [];
  page.on("response", (response) => {
    if (response.url().includes("/api/v1/entities?")) {
      lists.push(response.status());
    }
  });
  await signIn(page, refusedToken());
  await expect(page.getByRole("status")).toContainText("Your session has ended");
  await page.waitForTimeout(1500);
  expect(lists).toEqual([401]);

  // A busy API is asked once more, and the page never shows the first failure.
  lists.length = 0;
  let answered = false;
  await page.route("**/api/v1/entities?*", async (route) => {
    if (answered) {
      return route.continue();
    }
    answered = true;
    return route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({
        error: "Service Unavailable",
        message: "Busy",
        code: "SERVICE_UNAVAILABLE",
        request_id: "req-busy",
      }),
    });
  });
  await signInToEntities(page);
  await expect(page.getByText("No entities yet")).toBeVisible();
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test("7. at 390 px nothing scrolls sideways: table, actions, edit form and header fit", async ({
  page,
  request,
}, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await request.post(`${apiUrl}/api/v1/entities`, {
    headers: { Authorization: `Bearer ${sessionToken()}` },
    data: { title: "A title of a few words", description: "And a description that wraps." },
  });
  await createEntities(request, 3);
  await signInToEntities(page);
  await expect(rows(page)).toHaveCount(4);
  await expectNoSidewaysScroll(page);
  const first = rows(page).first();
  await expectWithinWidth(page, first.getByRole("button", { name: "Delete" }));
  await expectWithinWidth(page, first.getByRole("button", { name: "Edit" }));
  // The header is one line: the service's name does not wrap.
  const name = page.getByRole("banner").getByRole("link").first();
  expect((await name.boundingBox())?.height ?? 99).toBeLessThanOrEqual(28);
  await snap(page, testInfo, "entities-390");

  await first.getByRole("button", { name: "Delete" }).click();
  await expectWithinWidth(page, first.getByRole("button", { name: "Confirm delete" }));
  await first.getByRole("button", { name: "Cancel" }).click();
  await rows(page).first().getByRole("button", { name: "Edit" }).click();
  const form = page.getByRole("form", { name: "Save" });
  await expectWithinWidth(page, form);
  await expectWithinWidth(page, form.getByRole("button", { name: "Save" }));
  await expectNoSidewaysScroll(page);
  await snap(page, testInfo, "entities-390-edit");
});

test("8a. Confirm delete can be taken back: Escape, Cancel, or clicking elsewhere", async ({
  page,
  request,
}) => {
  await createEntities(request, 1);
  await signInToEntities(page);
  const row = rows(page).first();

  await row.getByRole("button", { name: "Delete" }).click();
  await expect(row.getByRole("button", { name: "Confirm delete" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(row.getByRole("button", { name: "Delete" })).toBeVisible();

  await row.getByRole("button", { name: "Delete" }).click();
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByRole("button", { name: "Delete" })).toBeVisible();

  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("heading", { name: "Entities" }).click();
  await expect(row.getByRole("button", { name: "Delete" })).toBeVisible();
  expect(await entityCount(request)).toBe(1);
});

test("8b. one row at a time is in edit mode", async ({ page, request }) => {
  await createEntities(request, 2);
  await signInToEntities(page);
  await rows(page).nth(0).getByRole("button", { name: "Edit" }).click();
  await expect(page.getByRole("form", { name: "Save" })).toHaveCount(1);
  await rows(page).nth(0).getByRole("button", { name: "Edit" }).click();
  await expect(page.getByRole("form", { name: "Save" })).toHaveCount(1);
  await expect(page.getByRole("form", { name: "Save" }).getByLabel("Title")).toHaveValue("Item 1");
});

test("8c. the create form's error is cleared on another page", async ({ page, request }) => {
  await createEntities(request, 12);
  await signInToEntities(page);
  const newEntity = page.getByRole("form", { name: "Create" });
  await newEntity.getByLabel("Title").fill("   ");
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(newEntity.getByRole("alert")).toContainText("The entity was not saved");
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page.getByText("Page 2 of 2")).toBeVisible();
  await expect(newEntity.getByRole("alert")).toHaveCount(0);
});

test("8d. every load finds what it asks for, the favicon included", async ({ page }) => {
  const failures: string[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) {
      failures.push(`${response.status()} ${response.url()}`);
    }
  });
  await signInToEntities(page);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Entities" })).toBeVisible();
  const icon = await page.locator('link[rel="icon"]').getAttribute("href");
  expect((await page.request.get(icon ?? "/missing")).status()).toBe(200);
  expect(failures).toEqual([]);
});

test("8e. the tab's title names the page, and the sign-in page has its h1", async ({ page }) => {
  await page.goto("/sign-in");
  await expect(page).toHaveTitle(/^Sign in · /);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in (local development)");
  await signInToEntities(page);
  await expect(page).toHaveTitle(/^Entities · /);
  await page.goto("/nowhere");
  await expect(page).toHaveTitle(/^Page not found · /);
});

test("8f. the entities page's code loads when it is opened, and a local build has no Clerk", async ({
  page,
}) => {
  const scripts = new Map<string, string>();
  page.on("response", async (response) => {
    if (response.request().resourceType() === "script") {
      scripts.set(response.url(), await response.text());
    }
  });
  await page.goto("/sign-in");
  await expect(page.getByLabel("Session token")).toBeVisible();
  expect([...scripts.keys()].some((url) => /\/entities-[\w-]+\.js$/.test(url))).toBe(false);

  await signInToEntities(page);
  await expect
    .poll(() => [...scripts.keys()].some((url) => /\/entities-[\w-]+\.js$/.test(url)))
    .toBe(true);
  for (const [url, source] of scripts) {
    expect(source, url).not.toMatch(/ClerkProvider|@clerk\//);
  }
});
