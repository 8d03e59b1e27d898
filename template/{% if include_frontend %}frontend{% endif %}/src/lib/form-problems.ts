import type { z } from "zod/mini";

/**
 * Checks a form's values with a schema generated from the API's OpenAPI document
 * (src/client/zod.gen.ts), so the form knows the API's rules without repeating them.
 * Returns a sentence per field at fault, by field name; empty when the values may be sent.
 */
export function formProblems(schema: z.ZodMiniType, values: unknown): Record<string, string> {
  const result = schema.safeParse(values);
  if (result.success) {
    return {};
  }
  const problems: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "");
    problems[field] ??= sentence(issue);
  }
  return problems;
}

function sentence(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "too_small":
      return Number(issue.minimum) <= 1
        ? "is required"
        : `needs at least ${issue.minimum} characters`;
    case "too_big":
      return `can be at most ${issue.maximum} characters`;
    case "invalid_format":
      return "contains a character that is not allowed";
    default:
      return "is not valid";
  }
}
