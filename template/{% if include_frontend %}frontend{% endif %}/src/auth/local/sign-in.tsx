import { type FormEvent, useState } from "react";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { useLocalSignIn } from "./provider";

/** Development sign-in: a token from `make token`, trusted only by a local backend. */
export function LocalSignIn() {
  const signIn = useLocalSignIn();
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    try {
      signIn(token);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
    // Signed in, the sign-in page moves on to where the user was going.
  }

  return (
    <Card className="w-full max-w-md">
      <CardHeader>
        <h1 className="text-xl font-semibold leading-none">Sign in (local development)</h1>
        <CardDescription>
          Run <code>make token</code> in the project and paste the token it prints.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="grid gap-3">
          <Label htmlFor="token">Session token</Label>
          <Textarea
            id="token"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            rows={4}
            required
          />
          {problem && (
            <Alert variant="destructive">
              <AlertDescription>
                {problem} Run <code>make token</code> for a new one.
              </AlertDescription>
            </Alert>
          )}
          <Button type="submit">Sign in</Button>
        </form>
      </CardContent>
    </Card>
  );
}
