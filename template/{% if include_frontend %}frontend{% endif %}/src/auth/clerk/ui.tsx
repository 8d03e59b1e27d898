import { SignIn, UserButton } from "@clerk/react";
import { ThemeMenu } from "@/components/theme-menu";
import type { AuthUiModule } from "../auth-mode";

export const SignInPanel: AuthUiModule["SignInPanel"] = ({ redirect }) => (
  <SignIn routing="hash" forceRedirectUrl={redirect} signUpForceRedirectUrl={redirect} />
);

export const UserMenu: AuthUiModule["UserMenu"] = () => (
  <>
    <ThemeMenu />
    <UserButton />
  </>
);
