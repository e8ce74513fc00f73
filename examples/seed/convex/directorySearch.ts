/**
 * The words the user directory's search index holds for an `auth_users`
 * row (its `search_text` field) and for a `users` document (its
 * `searchText`, read once the fold switches reads to users), and how a
 * query's words match them. Pure: no Convex calls.
 *
 * A search index matches whole words (the last one of a query as a
 * prefix), so an address is stored as its parts too: "ada@example.com"
 * becomes "ada@example.com ada example.com example com", found by "ada",
 * "example.com" or "example".
 */

/** The fields the search text is made of. */
export const SEARCH_SOURCE_FIELDS = ["full_name", "email"] as const;

/**
 * The `users` fields a user's search text is made of: the homes of the
 * row's name and address (the fold's `fullName` and `emailKey`, what the
 * directory shows once reads are switched), else Convex Auth's own.
 */
export const USER_SEARCH_SOURCE_FIELDS = [
  "fullName",
  "name",
  "emailKey",
  "email",
] as const;

/**
 * The search text of a user: as its row's would be, from the row's homes
 * (a placeholder's and a person's with no row too), else from Convex
 * Auth's name and address (a user whose first sign-in is still pending).
 */
export function searchTextOfUser(user: {
  fullName?: string;
  name?: string;
  emailKey?: string;
  email?: string;
}): string {
  return searchTextOf({
    full_name: user.fullName ?? user.name,
    email: user.emailKey ?? user.email,
  });
}

/** The search text of a row: its name's words and its address's parts. */
export function searchTextOf(row: {
  full_name?: string;
  email?: string;
}): string {
  const words: string[] = [];
  const add = (word: string) => {
    if (word !== "" && !words.includes(word)) words.push(word);
  };
  for (const word of wordsOf(row.full_name ?? "")) add(word);
  const email = fold((row.email ?? "").trim());
  if (email !== "") {
    add(email);
    const at = email.lastIndexOf("@");
    const local = at < 0 ? email : email.slice(0, at);
    const domain = at < 0 ? "" : email.slice(at + 1);
    add(local);
    for (const part of local.split(/[._+-]+/)) add(part);
    add(domain);
    for (const part of domain.split(".")) add(part);
  }
  return words.join(" ");
}

/** A query's words, lower case; at most `limit` (a search index's). */
export function queryWords(query: string, limit = 16): string[] {
  return wordsOf(query).slice(0, limit);
}

/**
 * True when every query word starts a word of the text. A search index
 * ranks rows matching any word; the directory shows those matching all.
 */
export function matchesAll(text: string, words: readonly string[]): boolean {
  const own = text.split(" ");
  return words.every((word) =>
    own.some((candidate) => candidate.startsWith(word)),
  );
}

/**
 * Words as the search compares them: accents and other marks dropped after
 * a compatibility decomposition, lower case (so "İpek", "José" typed
 * composed or decomposed, and "JOSE" all give "ipek", "jose"), split on
 * spaces and hyphens ("Mary-Jane" is found by "jane"; found by review).
 */
function wordsOf(text: string): string[] {
  return fold(text)
    .split(/[\s\-\u2010\u2011]+/)
    .filter((word) => word !== "");
}

/** Marks dropped, lower case: the form both the text and a query take. */
function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}
