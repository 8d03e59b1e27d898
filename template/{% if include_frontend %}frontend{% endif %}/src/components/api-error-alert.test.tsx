import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiErrorAlert } from "./api-error-alert";

describe("ApiErrorAlert", () => {
  it("shows the API's message, each field problem and the request id", () => {
    render(
      <ApiErrorAlert
        title="The entity was not saved"
        error={{
          error: "Unprocessable Entity",
          message: "The request is invalid",
          code: "validation_error",
          request_id: "req-42",
          details: [{ field: "body.title", message: "too short", type: "string_too_short" }],
        }}
      />,
    );

    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("The entity was not saved");
    expect(alert).toHaveTextContent("The request is invalid");
    expect(alert).toHaveTextContent("body.title: too short");
    expect(alert).toHaveTextContent("Request ID: req-42");
  });

  it("shows no request id when the API was not reached", () => {
    render(<ApiErrorAlert title="Failed" error={new TypeError("Failed to fetch")} />);

    expect(screen.getByRole("alert")).not.toHaveTextContent("Request ID");
  });
});
