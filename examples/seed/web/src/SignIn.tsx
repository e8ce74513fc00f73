/**
 * Sign-in with the methods the app configures (convex/providers.ts):
 * password (sign in or sign up), GitHub, Google, or as a guest. Emailed
 * codes and links need Resend; see docs/deploy.md.
 */
import { useAuthActions } from "@convex-dev/auth/react";
import { useState } from "react";
import { ProblemNote } from "./Notice";
import { PASSWORD_RULE } from "./problems";

export function SignIn() {
  const { signIn } = useAuthActions();
  const [flow, setFlow] = useState<"signIn" | "signUp">("signIn");
  // The failure as caught (shown in words by ProblemNote), or null.
  const [error, setError] = useState<{ caught: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const attempt = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (e) {
      setError({ caught: e });
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="narrow" tabIndex={-1}>
      <h1>User sync console</h1>
      <form
        className="card"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          void attempt(() => signIn("password", form));
        }}
      >
        <h2>{flow === "signIn" ? "Sign in" : "Create an account"}</h2>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={
              flow === "signIn" ? "current-password" : "new-password"
            }
            aria-describedby={flow === "signUp" ? "password-rule" : undefined}
            required
          />
        </label>
        {flow === "signUp" && (
          <p
            id="password-rule"
            className="muted small"
            data-testid="password-rule"
          >
            {PASSWORD_RULE}
          </p>
        )}
        <input name="flow" type="hidden" value={flow} />
        <button type="submit" disabled={busy} data-testid="password-submit">
          {flow === "signIn" ? "Sign in" : "Sign up"}
        </button>
        <button
          type="button"
          className="link"
          data-testid="switch-flow"
          onClick={() => {
            setFlow(flow === "signIn" ? "signUp" : "signIn");
            setError(null);
          }}
        >
          {flow === "signIn"
            ? "No account? Sign up"
            : "Have an account? Sign in"}
        </button>
        {error !== null && (
          <ProblemNote error={error.caught} testId="sign-in-error" />
        )}
      </form>
      <div className="card row">
        <button onClick={() => void attempt(() => signIn("github"))}>
          Sign in with GitHub
        </button>
        <button onClick={() => void attempt(() => signIn("google"))}>
          Sign in with Google
        </button>
        <button onClick={() => void attempt(() => signIn("anonymous"))}>
          Continue as a guest
        </button>
      </div>
    </main>
  );
}
