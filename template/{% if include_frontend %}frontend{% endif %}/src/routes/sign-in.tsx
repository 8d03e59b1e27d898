import { createFileRoute, Navigate } from "@tanstack/react-router";
import { SignInPanel } from "@/auth/auth-provider";
import { useSession } from "@/auth/session";

export const Route = createFileRoute("/sign-in")({
  component: SignInPage,
});

function SignInPage() {
  const session = useSession();
  if (session.status === "signed-in") {
    return <Navigate to="/entities" />;
  }
  return (
    <main className="grid min-h-screen place-items-center p-6">
      <SignInPanel />
    </main>
  );
}
