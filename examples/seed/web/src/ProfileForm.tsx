/**
 * The profile's edit. It sends only the fields the person changed, and
 * when the record changes underneath (another tab, an administrator), it
 * says so, shows the new value, and lets the person keep theirs or take
 * the new one: a save never silently undoes someone else's edit.
 */
import { useMutation } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { ProblemNote, SuccessNote } from "./Notice";
import {
  changedFields,
  changedUnderneath,
  type ProfileField,
  type ProfileValues,
  valuesOf,
} from "./profileEdit";

type Me = NonNullable<FunctionReturnType<typeof api.users.getCurrentUser>>;

/** convex/inputs.ts LIMITS (name, company, role): the server's bound. */
const MAX_LENGTH = 100;

const LABELS: Record<ProfileField, string> = {
  name: "Name",
  company: "Company",
  role: "Role",
};

type Outcome =
  | { kind: "saved"; fields: ProfileField[] }
  | { kind: "nothing" }
  | { kind: "failed"; caught: unknown };

export function ProfileForm({ me }: { me: Me }) {
  const update = useMutation(api.users.updateUserProfile);
  const live = valuesOf(me);
  // The record as the form started from it, or as the person last took it.
  const [base, setBase] = useState<ProfileValues>(live);
  const [values, setValues] = useState<ProfileValues>(live);
  const [saving, setSaving] = useState<ReadonlySet<ProfileField>>(new Set());
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const underneath = changedUnderneath(base, live, values, saving);

  const set = (field: ProfileField, value: string) => {
    setValues((before) => ({ ...before, [field]: value }));
    setOutcome(null);
  };
  const takeNew = (field: ProfileField) => {
    setBase((before) => ({ ...before, [field]: live[field] }));
    setValues((before) => ({ ...before, [field]: live[field] }));
  };
  // Keeping one's own value makes it a change against the new record.
  const keepMine = (field: ProfileField) =>
    setBase((before) => ({ ...before, [field]: live[field] }));

  const save = async () => {
    const changes = changedFields(base, values);
    const fields = Object.keys(changes) as ProfileField[];
    if (fields.length === 0) {
      setOutcome({ kind: "nothing" });
      return;
    }
    setOutcome(null);
    setSaving(new Set(fields));
    try {
      const saved = valuesOf(await update(changes));
      // The record as saved (trimmed, say) is the new base of what was sent.
      const take = (before: ProfileValues) => {
        const next = { ...before };
        for (const field of fields) next[field] = saved[field];
        return next;
      };
      setBase(take);
      setValues(take);
      setOutcome({ kind: "saved", fields });
    } catch (caught) {
      setOutcome({ kind: "failed", caught });
    } finally {
      setSaving(new Set());
    }
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      {underneath.length > 0 && (
        <div
          className="notice warning"
          role="alert"
          data-testid="changed-underneath"
        >
          <p>
            Your record changed while you were editing (in another tab, or by an
            administrator). Choose which value to keep before saving.
          </p>
          {underneath.map((field) => (
            <div
              key={field}
              className="choice"
              data-testid={`changed-${field}`}
            >
              <p>
                {LABELS[field]} is now{" "}
                <strong data-testid="new-value">{shown(live[field])}</strong>;
                your form has <strong>{shown(values[field])}</strong>.
              </p>
              <div className="row">
                <button
                  type="button"
                  data-testid="take-new"
                  onClick={() => takeNew(field)}
                >
                  Use the new value
                </button>
                <button
                  type="button"
                  data-testid="keep-mine"
                  onClick={() => keepMine(field)}
                >
                  Keep mine
                </button>
              </div>
            </div>
          ))}
        </div>
      )}
      {(Object.keys(LABELS) as ProfileField[]).map((field) => (
        <label key={field}>
          {LABELS[field]}
          <input
            name={field}
            value={values[field]}
            maxLength={MAX_LENGTH}
            onChange={(event) => set(field, event.target.value)}
          />
        </label>
      ))}
      <button
        type="submit"
        data-testid="profile-save"
        disabled={saving.size > 0 || underneath.length > 0}
      >
        {saving.size > 0 ? "Saving…" : "Save"}
      </button>
      {outcome?.kind === "saved" && (
        <SuccessNote testId="profile-message">Saved.</SuccessNote>
      )}
      {outcome?.kind === "nothing" && (
        <SuccessNote testId="profile-message">
          Nothing changed, so nothing was sent.
        </SuccessNote>
      )}
      {outcome?.kind === "failed" && (
        <ProblemNote error={outcome.caught} testId="profile-problem" />
      )}
    </form>
  );
}

/** A value in a sentence: an empty one said as such. */
function shown(value: string): string {
  return value === "" ? "(empty)" : `“${value}”`;
}
