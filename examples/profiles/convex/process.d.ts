// Convex functions read their environment through process.env, which the
// Convex runtime provides; Node's own types are not part of their typecheck
// (see tsconfig.json here), so this is all they know of `process`.
declare const process: { env: Record<string, string | undefined> };
