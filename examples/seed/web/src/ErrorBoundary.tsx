import { Component, type ReactNode } from "react";
import { ProblemNote } from "./Notice";

/** Shows a page's error (a refused query, say) instead of a blank screen. */
export class ErrorBoundary extends Component<
  { children: ReactNode },
  { error: unknown }
> {
  state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  render() {
    if (this.state.error !== null) {
      return <ProblemNote error={this.state.error} />;
    }
    return this.props.children;
  }
}
