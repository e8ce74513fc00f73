/**
 * What each sign-in method's transactions cost with the app's plain
 * callbacks (convex/users.ts): Convex Auth v2 alone, the baseline the sync's
 * callbacks are measured against. A multi-dot file (never deployed), mounted
 * as the module `costBaseline` (COST_MODULES) for `measure`
 * (../../../dev/cost.ts): each step runs as a sub-transaction of `measure`,
 * whose metrics take in every component call the step makes.
 */
import { makeFunctionReference } from "convex/server";
import type { Metrics } from "convex-auth-user-sync";
import { emptyMetrics } from "../../../dev/cost";
import {
  fromBrowser,
  githubCallback,
  type GithubAccount,
  signedIn,
  type SignedIn,
  type TestConvex,
  emailedCode,
} from "./signIn.helpers";

export { measure } from "../../../dev/cost";

/** Module map entries that mount this file as `costBaseline`. */
export const COST_MODULES = {
  "./costBaseline.ts": () => import("./cost.helpers"),
};

/** A sign-in's result and what its measured transactions used, each and in all. */
export type Measured<T> = {
  result: T;
  steps: { name: string; metrics: Metrics }[];
  total: Metrics;
};

class Meter {
  steps: { name: string; metrics: Metrics }[] = [];
  constructor(private readonly t: TestConvex) {}

  /** Runs the mutation `path` from the browser, measured. */
  async run<T>(name: string, path: string, args: object): Promise<T> {
    const measured = (await fromBrowser(this.t).mutation(
      makeFunctionReference<"mutation">("costBaseline:measure"),
      { path, args },
    )) as { result: T; metrics: Metrics };
    this.steps.push({ name, metrics: measured.metrics });
    return measured.result;
  }

  done<T>(result: T): Measured<T> {
    const total = emptyMetrics();
    for (const { metrics } of this.steps) {
      for (const key of Object.keys(total) as (keyof Metrics)[]) {
        total[key] += metrics[key];
      }
    }
    return { result, steps: this.steps, total };
  }
}

type Completed = { status: "complete"; tokens: SignedIn["tokens"] };

function complete(result: unknown): SignedIn {
  const { status, tokens } = result as Completed;
  if (status !== "complete") throw new Error(JSON.stringify(result));
  return signedIn(tokens);
}

/** A password sign-up: the sign-up, then its completion with the emailed code. */
export async function measuredPasswordSignUp(
  t: TestConvex,
  email: string,
  password: string,
): Promise<Measured<SignedIn>> {
  const meter = new Meter(t);
  const started = await meter.run<{ success: boolean; browserSecret: string }>(
    "signUpWithEmailPassword",
    "auth:signUpWithEmailPassword",
    { email, password },
  );
  if (!started.success) throw new Error(JSON.stringify(started));
  const completed = await meter.run(
    "completeSignUpWithEmailPassword",
    "auth:completeSignUpWithEmailPassword",
    {
      emailCode: await emailedCode(t, email),
      browserSecret: started.browserSecret,
    },
  );
  return meter.done(complete(completed));
}

/** A returning password sign-in: one mutation. */
export async function measuredPasswordSignIn(
  t: TestConvex,
  email: string,
  password: string,
): Promise<Measured<SignedIn>> {
  const meter = new Meter(t);
  const result = await meter.run(
    "signInWithEmailPassword",
    "auth:signInWithEmailPassword",
    { email, password },
  );
  return meter.done(complete(result));
}

/**
 * A GitHub sign-in: the app's start and completion are measured; GitHub's
 * callback (an HTTP action of the GitHub component, with its own two
 * transactions inside the component) runs unmeasured between them.
 */
export async function measuredGithubSignIn(
  t: TestConvex,
  account: GithubAccount,
): Promise<Measured<SignedIn>> {
  const meter = new Meter(t);
  const result = await githubCallback(t, account, {
    start: (args) =>
      meter.run("startSignInWithGithub", "auth:startSignInWithGithub", args),
    complete: (args) =>
      meter.run(
        "completeSignInWithGithub",
        "auth:completeSignInWithGithub",
        args,
      ),
  });
  return meter.done(result);
}
