import { expect, type Page, test } from "@playwright/test";
import {
  createEntities,
  deleteAllEntities,
  expectAccessible,
  refusedToken,
  signIn,
  signInToEntities,
  snap,
} from "./support";

test.beforeEach(async ({ request }) => {
  await deleteAllEntities(request);
});

const schemes = ["light", "dark"] as const;

/** axe on the page as it is, in the light and the dark theme (the theme follows the system). */
async function inBothThemes(page: Page, what: string, keep?: (scheme: string) => string) {
  for (const colorScheme of schemes) {
    await page.emulateMedia({ colorScheme });
    await expect(page.locator("html")).toHaveClass(colorScheme === "dark" ? /dark/ : /^(?!.*dark)/);
    await expectAccessible(page, `${what}, ${colorScheme}`);
    if (keep) {
      await page.screenshot({ path: keep(colorScheme), fullPage: true });
    }
  }
}

test("every page passes axe in both themes", async ({ page, request }, testInfo) => {
  const shot = (name: string) => (scheme: string) =>
    `test-results/screenshots/${testInfo.project.name}/axe-${name}-${scheme}.png`;

  await page.goto("/sign-in");
  await inBothThemes(page, "sign-in", shot("sign-in"));
  await signIn(page, "not a token");
  await expect(page.getByRole("alert")).toBeVisible();
  await inBothThemes(page, "sign-in with a problem");
  await signIn(page, refusedToken());
  await expect(page.getByRole("status")).toContainText("Your session has ended");
  await inBothThemes(page, "sign-in after a refused token");

  await signInToEntities(page);
  await expect(page.getByText("No entities yet")).toBeVisible();
  await inBothThemes(page, "entities, empty");

  await createEntities(request, 12);
  await page.reload();
  await expect(page.getByTestId("entity-row")).toHaveCount(10);
  // An API error with its request id, and a delete waiting for confirmation.
  const newEntity = page.getByRole("form", { name: "Create" });
  await newEntity.getByLabel("Title").fill("   ");
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(newEntity.getByRole("alert")).toContainText("Request ID");
  await page.getByTestId("entity-row").first().getByRole("button", { name: "Delete" }).click();
  await inBothThemes(page, "entities, an error and a confirmation", shot("entities"));

  await page.keyboard.press("Escape");
  await page.getByTestId("entity-row").first().getByRole("button", { name: "Edit" }).click();
  await newEntity.getByLabel("Title").fill("");
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(newEntity.getByText("Title is required.")).toBeVisible();
  await inBothThemes(page, "entities, editing, a form problem");

  await page.getByRole("button", { name: /^User menu/ }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  await inBothThemes(page, "user menu", shot("user-menu"));
  await page.keyboard.press("Escape");

  await page.goto("/no/such/page");
  await inBothThemes(page, "not found");
  await snap(page, testInfo, "not-found");
});
