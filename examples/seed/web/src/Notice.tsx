/**
 * The console's announcements: a problem (role="alert", announced at once,
 * red with a mark), a success (role="status", announced politely, green),
 * and a wait that says what it waits for.
 */
import type { ReactNode } from "react";
import { explain } from "./problems";

/** An error in plain language, its code for support in small print. */
export function ProblemNote({
  error,
  testId,
}: {
  error: unknown;
  testId?: string;
}) {
  const problem = explain(error);
  return (
    <div className="notice problem" role="alert" data-testid={testId}>
      <p>{problem.text}</p>
      <p className="muted small" title={problem.detail}>
        Code for support: <span data-testid="problem-code">{problem.code}</span>
      </p>
    </div>
  );
}

/** A success, announced without interrupting. */
export function SuccessNote({
  children,
  testId,
}: {
  children: ReactNode;
  testId?: string;
}) {
  return (
    <p className="notice success" role="status" data-testid={testId}>
      {children}
    </p>
  );
}

/** A wait: "Loading your profile…", never a bare "Loading…". */
export function Waiting({ what }: { what: string }) {
  return (
    <p className="muted waiting" role="status" data-testid="waiting">
      Loading {what}…
    </p>
  );
}
