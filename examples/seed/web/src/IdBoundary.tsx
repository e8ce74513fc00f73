import { ConvexError } from "convex/values";
import { Component, type ReactNode } from "react";
import { ProblemNote } from "./Notice";

/**
 * A page named by an id in its address (/reviews/<id>, /runs/<id>): an
 * address whose id is not one of the table's (the server's
 * INVALID_ARGUMENT) reads as `missing`, like an id of nothing; any other
 * error is a problem, in words.
 */
export class IdBoundary extends Component<
  { missing: ReactNode; children: ReactNode },
  { error: unknown }
> {
  state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  render() {
    const { error } = this.state;
    if (error === null) return this.props.children;
    const code =
      error instanceof ConvexError
        ? (error.data as { code?: unknown })?.code
        : undefined;
    return code === "INVALID_ARGUMENT" ? (
      this.props.missing
    ) : (
      <ProblemNote error={error} />
    );
  }
}
