/**
 * The profile form's bookkeeping, apart from React: which fields the
 * person changed (only those are sent), and which changed underneath them
 * (the live record no longer says what the form started from).
 */

export const PROFILE_FIELDS = ["name", "company", "role"] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type ProfileValues = Record<ProfileField, string>;

/** The form's values of a record: an absent value is an empty field. */
export function valuesOf(record: {
  name: string | null;
  company: string | null;
  role: string | null;
}): ProfileValues {
  return {
    name: record.name ?? "",
    company: record.company ?? "",
    role: record.role ?? "",
  };
}

/** What the person changed: each field whose value is not the base's. */
export function changedFields(
  base: ProfileValues,
  values: ProfileValues,
): Partial<ProfileValues> {
  const changed: Partial<ProfileValues> = {};
  for (const field of PROFILE_FIELDS) {
    if (values[field] !== base[field]) changed[field] = values[field];
  }
  return changed;
}

/**
 * The fields the record changed underneath the form: the live value is
 * not the base the form started from (or last took), leaving out the
 * fields of a save under way (the record is about to say what it sent)
 * and those where the form already says what the record now says.
 */
export function changedUnderneath(
  base: ProfileValues,
  live: ProfileValues,
  values: ProfileValues,
  saving: ReadonlySet<ProfileField>,
): ProfileField[] {
  return PROFILE_FIELDS.filter(
    (field) =>
      !saving.has(field) &&
      live[field] !== base[field] &&
      live[field] !== values[field],
  );
}
