import type { AuthUiModule } from "../auth-mode";
import { LocalSignIn } from "./sign-in";
import { LocalUserMenu } from "./user-menu";

export const SignInPanel: AuthUiModule["SignInPanel"] = LocalSignIn;
export const UserMenu: AuthUiModule["UserMenu"] = LocalUserMenu;
