/** "My profile": the signed-in user's record, its edit, and its deletion. */
import { useAuthActions } from "@convex-dev/auth/react";
import { useMutation } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { errorText, time } from "./format";

type Me = NonNullable<FunctionReturnType<typeof api.users.getCurrentUser>>;

export function Profile({ me }: { me: Me }) {
  const update = useMutation(api.users.updateUserProfile);
  const remove = useMutation(api.users.deleteAccount);
  const { signOut } = useAuthActions();
  const [message, setMessage] = useState<string | null>(null);
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
          <dt>Ids</dt>
          <dd className="mono">
            users {me.userId ?? "—"} · auth_users {me.authUserId ?? "—"}
          </dd>
        </dl>
      </section>
      <section className="card">
        <h2>Edit</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            const text = (name: string) => {
              const value = form.get(name);
              return typeof value === "string" ? value : "";
            };
            setMessage(null);
            update({
              name: text("name"),
              company: text("company"),
              role: text("role"),
            }).then(
              () => setMessage("Saved."),
              (e: unknown) => setMessage(errorText(e)),
            );
          }}
        >
          <label>
            Name
            <input name="name" defaultValue={me.name ?? ""} required />
          </label>
          <label>
            Company
            <input name="company" defaultValue={me.company ?? ""} />
          </label>
          <label>
            Role
            <input name="role" defaultValue={me.role ?? ""} />
          </label>
          <button type="submit" data-testid="profile-save">
            Save
          </button>
          {message !== null && <p data-testid="profile-message">{message}</p>}
        </form>
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
                  (e: unknown) => setMessage(errorText(e)),
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
      </section>
    </div>
  );
}
