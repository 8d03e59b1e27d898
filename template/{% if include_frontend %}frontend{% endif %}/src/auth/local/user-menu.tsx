import { ChevronDown, LogOut } from "lucide-react";
import { ThemeChoices } from "@/components/theme-menu";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useSession } from "../session";

/** Who is signed in, the theme, and sign out; Clerk mode shows Clerk's user button instead. */
export function LocalUserMenu() {
  const session = useSession();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="sm" className="max-w-40">
          <span className="sr-only">User menu, signed in as </span>
          <span className="truncate" data-testid="user-id">
            {session.userId}
          </span>
          <ChevronDown className="size-4 shrink-0" aria-hidden />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        <DropdownMenuLabel className="max-w-64 break-all">
          Signed in as {session.userId}
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <ThemeChoices />
        <DropdownMenuSeparator />
        <DropdownMenuItem onSelect={() => void session.signOut()}>
          <LogOut className="size-4" aria-hidden />
          Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
