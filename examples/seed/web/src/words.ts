/**
 * The sync's kinds in words, for an operator: each drift kind of the drift
 * report (what it means, what to do, and the review cases it leads to) and
 * each kind of review case. The codes stay visible beside them, small.
 */

/** One drift kind: what it means, what to do, which cases show it. */
export type DriftKindWords = {
  title: string;
  meaning: string;
  action: string;
  /** The review queue's kind that holds these, if a person decides them. */
  caseKind?: string;
};

export const DRIFT_KINDS: Record<string, DriftKindWords> = {
  pending_link: {
    title: "Waiting for a first sign-in",
    meaning:
      "A row from before the sync that no account has claimed yet. Nothing is wrong: its owner has not signed in.",
    action:
      "Nothing to do. Their first sign-in with a verified address links it.",
  },
  unclaimed_placeholder: {
    title: "Placeholder waiting for its person",
    meaning:
      "The fold gave someone who never signed in an account record to claim.",
    action: "Nothing to do. A sign-in that proves the address takes it over.",
  },
  awaiting_sign_in: {
    title: "Sign-in started, not finished",
    meaning:
      "Someone asked for a code or link and never completed the sign-in.",
    action: "Nothing to do; the record pairs when the sign-in completes.",
  },
  missing_counterpart: {
    title: "Account without its app record",
    meaning: "An account has no row in the app's own table.",
    action:
      "Start a run: it gives the account its row (or links the one its verified address proves).",
  },
  field_mismatch: {
    title: "Values out of step",
    meaning:
      "A mirrored value (name, address, picture, …) differs between the account and its row.",
    action: "Start a run: it copies each value from the side that owns it.",
  },
  dangling_reference: {
    title: "Link to a deleted record",
    meaning: "A record still names an account or row that was deleted.",
    action:
      "Start a run to repair it; what it cannot decide goes to the review queue.",
    caseKind: "reference_conflict",
  },
  one_sided_reference: {
    title: "Link in one direction only",
    meaning:
      "A record names another that does not name it back: not proof they belong together.",
    action: "Review the cases: link the two, or keep them apart.",
    caseKind: "reference_conflict",
  },
  duplicate_counterpart: {
    title: "Two rows claim one account",
    meaning: "Several app rows name the same account; one is a copy.",
    action: "Review the cases: retire the copy, or keep it apart.",
    caseKind: "duplicate_counterpart",
  },
  orphaned_row: {
    title: "Row that lost its account",
    meaning: "A row that was once paired lost both links.",
    action: "Review the cases: link it to its account, retire it, or dismiss.",
    caseKind: "reference_conflict",
  },
  ambiguous_email: {
    title: "One address on several rows",
    meaning:
      "Several unclaimed rows hold the same address: the sync will not guess which is the person's.",
    action: "Review the cases: link the right one, keep the others apart.",
    caseKind: "ambiguous_email",
  },
  unverified_email_match: {
    title: "Unverified address matches a row",
    meaning:
      "Someone signed in with an address they have not proved, and an unclaimed row holds it.",
    action:
      "Review the cases: link only if you know it is the same person; otherwise keep them apart.",
    caseKind: "unverified_email_match",
  },
  unnormalized_email: {
    title: "Address not in its stored form",
    meaning:
      "An address was imported with capitals or spaces, so lookups by address miss it.",
    action: "Start a run: it stores the address in its normal form.",
  },
  missing_email_key: {
    title: "Verified address without its lookup key",
    meaning:
      "After the fold, an account holds a verified address without the key lookups use.",
    action: "Start a run to write the key.",
  },
};

/** Each kind of review case, in words. */
export const CASE_KINDS: Record<string, { title: string; meaning: string }> = {
  ambiguous_email: {
    title: "One address, several rows",
    meaning: "Several unclaimed rows hold this person's verified address.",
  },
  unverified_email_match: {
    title: "Unverified address matches an existing row",
    meaning:
      "The person signed in with an address they have not proved; an unclaimed row holds it.",
  },
  reference_conflict: {
    title: "Conflicting links",
    meaning:
      "A link between an account and a row is one-sided or broken; the sync did not follow it.",
  },
  duplicate_counterpart: {
    title: "Two rows claim one account",
    meaning: "Several app rows name the same account.",
  },
  sign_in_sync_failed: {
    title: "Sign-in went ahead without the sync",
    meaning: "The sync failed during a sign-in; the sign-in was let through.",
  },
  row_sync_failed: {
    title: "A run could not sync this row",
    meaning: "A run failed on this row every time and passed it over.",
  },
  verified_legacy_match: {
    title: "Verified address matches an old row",
    meaning:
      "A person with a row of their own proved the address of an unclaimed older row.",
  },
  duplicate_account: {
    title: "Second account on a verified address",
    meaning: "Another account proved an address a row already holds verified.",
  },
  v2_move_identity: {
    title: "Sign-in method left behind by the move",
    meaning: "The move to Convex Auth v2 could not move one of these sign-ins.",
  },
};

/**
 * Each audit action in words ("resolve:link" → "Linked a row to an
 * account"). An action not listed reads as its name in words.
 */
export const AUDIT_ACTIONS: Record<string, string> = {
  "resolve:link": "Linked a row to an account",
  "resolve:keep_separate": "Kept an account and a row apart",
  "resolve:retire": "Retired a row",
  "resolve:dismiss": "Dismissed a case",
  "admin:setAdmin": "Changed who is an administrator",
  "admin:setStatus": "Changed an account's status",
  "admin:deleteAccount": "Deleted an account",
  "admin:deleteRecord": "Deleted a record",
  "admin:editUser": "Edited a sign-in record",
  "admin:editAuthUser": "Edited an account",
  "operator:suspend": "Suspended an account",
  "operator:reactivate": "Reactivated an account",
  "operator:deleteAccount": "Deleted an account",
  "operator:deleteRow": "Deleted a row",
  "operator:syncUser": "Synced one person",
  "operator:adoptAppReferences": "Moved the app's references",
  "run:start": "Started a sync run",
  "run:dry-run": "Started a dry run",
  "run:resume": "Resumed a sync run",
  "fold:claim": "A sign-in claimed its placeholder",
  "v2move:rollback": "Rolled back the move to Convex Auth v2",
};

/** An audit action in words. */
export function auditActionLabel(action: string): string {
  const known = AUDIT_ACTIONS[action];
  if (known !== undefined) return known;
  const [, name = action] = /^[^:]*:(.*)$/.exec(action) ?? [];
  return name.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** A table's name as an operator reads it. */
export const TABLE_LABELS: Record<string, string> = {
  users: "Sign-in record",
  auth_users: "Account",
  sync_reviews: "Review case",
  sync_runs: "Sync run",
  starter_templates: "Starter template",
};

/**
 * Who did an audited thing: the console records `users:<id> <email>`
 * (functions.ts actorOf); the address is the words, the id stays small.
 */
export function actorWords(actor: string): { who: string; id?: string } {
  const match = /^(users:\S+) (.+)$/.exec(actor);
  return match === null ? { who: actor } : { who: match[2]!, id: match[1]! };
}
