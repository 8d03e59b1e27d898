import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { apiUrl, tokenFile } from "../playwright.config";

async function signIn(page: Page): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Session token").fill(readFileSync(tokenFile, "utf8"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Entities" })).toBeVisible();
}

test("a user signs in, manages entities, sees the API's errors, and signs out", async ({
  page,
}) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);

  await signIn(page);
  await expect(page.getByTestId("user-id")).toHaveText("user_e2e");
  await expect(page.getByText("No entities yet")).toBeVisible();

  const newEntity = page.getByRole("form", { name: "Create" });
  await newEntity.getByLabel("Title").fill("Quarterly report");
  await newEntity.getByLabel("Description").fill("Numbers for Q3");
  await newEntity.getByRole("button", { name: "Create" }).click();
  const row = page.getByTestId("entity-row").filter({ hasText: "Quarterly report" });
  await expect(row).toContainText("Numbers for Q3");
  await expect(newEntity.getByLabel("Title")).toHaveValue("");
  await page.screenshot({ path: "test-results/entities.png", fullPage: true });

  await row.getByRole("button", { name: "Edit" }).click();
  const editForm = page.getByRole("form", { name: "Save" });
  await editForm.getByLabel("Title").fill("Annual report");
  await editForm.getByRole("button", { name: "Save" }).click();
  const renamed = page.getByTestId("entity-row").filter({ hasText: "Annual report" });
  await expect(renamed).toBeVisible();
  await expect(page.getByText("Quarterly report")).toHaveCount(0);

  // Only spaces: the browser sends it, the API refuses it, the page shows the API's words.
  await newEntity.getByLabel("Title").fill("   ");
  await newEntity.getByRole("button", { name: "Create" }).click();
  const error = newEntity.getByRole("alert");
  await expect(error).toContainText("The entity was not saved");
  await expect(error).toContainText("body.title");
  await expect(error).toContainText(/Request ID: \S+/);

  await renamed.getByRole("button", { name: "Delete" }).click();
  await renamed.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No entities yet")).toBeVisible();

  await page.getByRole("button", { name: /Switch to dark theme/ }).click();
  await expect(page.locator("html")).toHaveClass(/dark/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.screenshot({ path: "test-results/final.png", fullPage: true });
});

test("a long list is paged, newest first", async ({ page, request }) => {
  const headers = { Authorization: `Bearer ${readFileSync(tokenFile, "utf8")}` };
  for (let number = 1; number <= 12; number++) {
    const created = await request.post(`${apiUrl}/api/v1/entities`, {
      headers,
      data: { title: `Item ${number}` },
    });
    expect(created.status()).toBe(201);
  }

  await signIn(page);
  await expect(page.getByText("Page 1 of 2 (12 entities)")).toBeVisible();
  await expect(page.getByTestId("entity-row")).toHaveCount(10);
  await expect(page.getByTestId("entity-row").first()).toContainText("Item 12");

  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText("Page 2 of 2 (12 entities)")).toBeVisible();
  await expect(page.getByTestId("entity-row")).toHaveText([/Item 2/, /Item 1/]);

  await page.getByRole("link", { name: "Previous" }).click();
  await expect(page.getByText("Page 1 of 2 (12 entities)")).toBeVisible();
});

test("an unknown address shows the not-found page", async ({ page }) => {
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
