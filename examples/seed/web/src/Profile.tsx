/** "My profile": the signed-in user's record, its edit, and its deletion. */
import { useAuthActions } from "@convex-dev/auth/react";
import { useMutation } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { time } from "./format";
import { ProblemNote } from "./Notice";
import { ProfileForm } from "./ProfileForm";

type Me = NonNullable<FunctionReturnType<typeof api.users.getCurrentUser>>;

export function Profile({ me }: { me: Me }) {
  const remove = useMutation(api.users.deleteAccount);
  const { signOut } = useAuthActions();
  const [problem, setProblem] = useState<{ caught: unknown } | null>(null);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="columns">
      <section className="card">
        <h2>Record</h2>
        <dl data-testid="profile">
          <dt>Name</dt>
          <dd data-testid="profile-name">{me.name ?? "—"}</dd>
          <dt>Email</dt>
          <dd>
            {me.email ?? "—"} {me.emailVerified ? "(verified)" : "(unverified)"}
          </dd>
          <dt>Company</dt>
          <dd data-testid="profile-company">{me.company ?? "—"}</dd>
          <dt>Role</dt>
          <dd>{me.role ?? "—"}</dd>
          <dt>Status</dt>
          <dd>{me.status}</dd>
          <dt>Last sign-in</dt>
          <dd>{time(me.lastLoginAt)}</dd>
          <dt>Member since</dt>
          <dd>{time(me.createdAt)}</dd>
          <dt>For support</dt>
          <dd className="muted small">
            <span className="mono">users {me.userId ?? "—"}</span>
            <br />
            <span className="mono">auth_users {me.authUserId ?? "—"}</span>
          </dd>
        </dl>
      </section>
      <section className="card">
        <h2>Edit</h2>
        <ProfileForm me={me} />
        <h2>Delete my account</h2>
        {confirming ? (
          <div className="preview">
            <p>
              This deletes, in one step: your <code>users</code> row and your{" "}
              <code>auth_users</code> row ({me.authUserId ?? "none"}), your
              starter templates, and every sign-in account, session and code of
              yours. Rows that only point at you are kept for an administrator.
            </p>
            <button
              className="danger"
              onClick={() =>
                void remove({}).then(
                  () => signOut(),
                  (e: unknown) => setProblem({ caught: e }),
                )
              }
            >
              Delete everything listed
            </button>{" "}
            <button onClick={() => setConfirming(false)}>Cancel</button>
          </div>
        ) : (
          <button className="danger" onClick={() => setConfirming(true)}>
            Delete my account…
          </button>
        )}
        {problem !== null && <ProblemNote error={problem.caught} />}
      </section>
    </div>
  );
}
