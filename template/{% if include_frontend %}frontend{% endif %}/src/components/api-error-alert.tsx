import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { describeApiError } from "@/lib/api-error";

/** A failed call as the API described it; the request id lets support find its log line. */
export function ApiErrorAlert({ error, title }: { error: unknown; title: string }) {
  const problem = describeApiError(error);
  return (
    <Alert variant="destructive">
      <AlertTitle>{title}</AlertTitle>
      <AlertDescription>
        <p>{problem.message}</p>
        {problem.details.length > 0 && (
          <ul className="list-disc pl-5">
            {problem.details.map((detail) => (
              <li key={`${detail.field}:${detail.message}`}>
                {detail.field}: {detail.message}
              </li>
            ))}
          </ul>
        )}
        {problem.requestId && (
          <p className="text-xs">
            Request ID: <code>{problem.requestId}</code>
          </p>
        )}
      </AlertDescription>
    </Alert>
  );
}
