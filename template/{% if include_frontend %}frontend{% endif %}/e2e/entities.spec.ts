import { expect, test } from "@playwright/test";
import { createEntities, deleteAllEntities, signInToEntities, snap } from "./support";

test.beforeEach(async ({ request }) => {
  await deleteAllEntities(request);
});

test("a user signs in, manages entities, sees the API's errors, and signs out", async ({
  page,
}, testInfo) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);

  await signInToEntities(page);
  await expect(page.getByTestId("user-id")).toHaveText("user_e2e");
  await expect(page.getByText("No entities yet")).toBeVisible();

  const newEntity = page.getByRole("form", { name: "Create" });
  await newEntity.getByLabel("Title").fill("Quarterly report");
  await newEntity.getByLabel("Description").fill("Numbers for Q3");
  await newEntity.getByRole("button", { name: "Create" }).click();
  const row = page.getByTestId("entity-row").filter({ hasText: "Quarterly report" });
  await expect(row).toContainText("Numbers for Q3");
  await expect(newEntity.getByLabel("Title")).toHaveValue("");
  // Each change's result is a toast.
  await expect(page.getByText("Created “Quarterly report”")).toBeVisible();
  await snap(page, testInfo, "entities");

  await row.getByRole("button", { name: "Edit" }).click();
  const editForm = page.getByRole("form", { name: "Save" });
  await editForm.getByLabel("Title").fill("Annual report");
  await editForm.getByRole("button", { name: "Save" }).click();
  const renamed = page.getByTestId("entity-row").filter({ hasText: "Annual report" });
  await expect(renamed).toBeVisible();
  await expect(page.getByText("Saved “Annual report”")).toBeVisible();
  await expect(page.getByTestId("entity-row").filter({ hasText: "Quarterly report" })).toHaveCount(
    0,
  );

  // Only spaces: the API's rules say nothing of them, the API refuses, the page shows its words.
  await newEntity.getByLabel("Title").fill("   ");
  await newEntity.getByRole("button", { name: "Create" }).click();
  const error = newEntity.getByRole("alert");
  await expect(error).toContainText("The entity was not saved");
  await expect(error).toContainText("body.title");
  await expect(error).toContainText(/Request ID: \S+/);
  await snap(page, testInfo, "entities-api-error");

  await renamed.getByRole("button", { name: "Delete" }).click();
  await renamed.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No entities yet")).toBeVisible();
  await expect(page.getByText("Deleted “Annual report”")).toBeVisible();

  await page.getByRole("button", { name: /^User menu/ }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await snap(page, testInfo, "signed-out");
});

test("a long list is paged, newest first", async ({ page, request }) => {
  await createEntities(request, 12);

  await signInToEntities(page);
  await expect(page.getByText("Page 1 of 2 (12 entities)")).toBeVisible();
  await expect(page.getByTestId("entity-row")).toHaveCount(10);
  await expect(page.getByTestId("entity-row").first()).toContainText("Item 12");
  await expect(page).toHaveTitle(/^Entities · /);

  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText("Page 2 of 2 (12 entities)")).toBeVisible();
  await expect(page.getByTestId("entity-row")).toHaveText([/Item 2/, /Item 1/]);
  await expect(page).toHaveTitle(/^Entities, page 2 · /);

  await page.getByRole("link", { name: "Previous" }).click();
  await expect(page.getByText("Page 1 of 2 (12 entities)")).toBeVisible();
});

test("the form checks the API's rules before sending anything", async ({ page }) => {
  await signInToEntities(page);
  const sent: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST") {
      sent.push(request.url());
    }
  });
  const newEntity = page.getByRole("form", { name: "Create" });

  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(newEntity.getByText("Title is required.")).toBeVisible();
  await newEntity.getByLabel("Title").fill("x".repeat(256));
  await newEntity.getByLabel("Description").fill("y".repeat(1001));
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(newEntity.getByText("Title can be at most 255 characters.")).toBeVisible();
  await expect(newEntity.getByText("Description can be at most 1000 characters.")).toBeVisible();
  await expect(newEntity.getByLabel("Title")).toHaveAttribute("aria-invalid", "true");
  expect(sent).toEqual([]);

  await newEntity.getByLabel("Title").fill("x".repeat(255));
  await newEntity.getByLabel("Description").fill("");
  await newEntity.getByRole("button", { name: "Create" }).click();
  await expect(page.getByTestId("entity-row")).toHaveCount(1);
  expect(sent).toHaveLength(1);
});

test("the list shows placeholders while it loads", async ({ page }) => {
  await signInToEntities(page);
  // Hold the next list answer back, to see what the user sees meanwhile.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route("**/api/v1/entities?*", async (route) => {
    await held;
    await route.continue();
  });
  await page.reload();
  await expect(page.getByTestId("list-skeleton")).toBeVisible();
  await expect(page.getByText("Loading entities…")).toBeAttached();
  release();
  await expect(page.getByText("No entities yet")).toBeVisible();
  await expect(page.getByTestId("list-skeleton")).toHaveCount(0);
});

test("the user menu shows who is signed in and chooses light, dark or the system's theme", async ({
  page,
}, testInfo) => {
  await signInToEntities(page);
  const html = page.locator("html");
  const dark = testInfo.project.use.colorScheme === "dark";
  // No choice yet: the system's scheme.
  await expect(html).toHaveClass(dark ? /dark/ : /^(?!.*dark)/);

  const menu = page.getByRole("button", { name: /^User menu/ });
  await menu.click();
  await expect(page.getByRole("menu")).toContainText("Signed in as user_e2e");
  await snap(page, testInfo, "user-menu");
  await page.getByRole("menuitemradio", { name: "Dark" }).click();
  await expect(html).toHaveClass(/dark/);

  await menu.click();
  await page.getByRole("menuitemradio", { name: "Light" }).click();
  await expect(html).not.toHaveClass(/dark/);
  await page.reload();
  await expect(html).not.toHaveClass(/dark/); // remembered

  await menu.click();
  await expect(page.getByRole("menuitemradio", { name: "Light" })).toHaveAttribute(
    "aria-checked",
    "true",
  );
  await page.getByRole("menuitemradio", { name: "System" }).click();
  await page.emulateMedia({ colorScheme: "dark" });
  await expect(html).toHaveClass(/dark/);
  await page.emulateMedia({ colorScheme: "light" });
  await expect(html).not.toHaveClass(/dark/);
});

test("an unknown address shows the not-found page", async ({ page }) => {
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page).toHaveTitle(/^Page not found · /);
});
