/**
 * Every sign-in method the app offers, by provider id: `github`, `google`
 * (OAuth), `password`, `password-code` (password with the email verified by
 * a code, and reset by code), `resend-otp` (a code by email), `resend` (a
 * magic link), `anonymous`.
 *
 * Each reports its own verification claim for the address it hands over:
 * the OAuth providers set `emailVerified` in the profile from the provider's
 * word (Convex Auth treats an OAuth email as verified when the profile says
 * nothing), the email methods prove the address by the code or link sent to
 * it. The sync links legacy rows, grants their rights and answers lookups by
 * verified email only. See the README's "What the sync trusts".
 */
import GitHub, { type GitHubProfile } from "@auth/core/providers/github";
import Google from "@auth/core/providers/google";
import Resend from "@auth/core/providers/resend";
import { Anonymous } from "@convex-dev/auth/providers/Anonymous";
import { Email } from "@convex-dev/auth/providers/Email";
import { Password } from "@convex-dev/auth/providers/Password";
import type { DataModel } from "./_generated/dataModel";
import { env } from "./_generated/server";
import { cleanEmail } from "./inputs";

const GITHUB_API = "https://api.github.com";

type GitHubEmail = { email: string; primary: boolean; verified: boolean };
type GitHubUser = {
  id: number;
  login: string;
  name?: string | null;
  email?: string | null;
  avatar_url?: string;
};

async function githubGet(path: string, accessToken: unknown) {
  return await fetch(`${GITHUB_API}${path}`, {
    headers: {
      Authorization: `Bearer ${String(accessToken)}`,
      "User-Agent": "convex-user-sync",
    },
  });
}

/**
 * GitHub's answer for the address it uses: the public email, else the
 * primary one, as Auth.js picks it, with GitHub's own `verified` flag for that
 * address from `/user/emails` (the `user:email` scope grants it). When GitHub
 * does not say, the address counts as unverified.
 */
export const githubProvider = GitHub({
  userinfo: {
    url: `${GITHUB_API}/user`,
    async request({ tokens }: { tokens: { access_token?: unknown } }) {
      const user = (await (
        await githubGet("/user", tokens.access_token)
      ).json()) as GitHubUser;
      const response = await githubGet("/user/emails", tokens.access_token);
      const emails = response.ok
        ? ((await response.json()) as GitHubEmail[])
        : [];
      const email =
        user.email ??
        (emails.find((entry) => entry.primary) ?? emails[0])?.email ??
        null;
      const verified =
        email !== null &&
        emails.some((entry) => entry.email === email && entry.verified);
      return { ...user, email, email_verified: verified };
    },
  },
  profile(profile: GitHubProfile & { email_verified?: boolean }) {
    return {
      id: String(profile.id),
      name: profile.name ?? profile.login,
      email: profile.email ?? undefined,
      image: profile.avatar_url,
      emailVerified: profile.email_verified === true,
    };
  },
});

type GoogleClaims = {
  sub: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
  picture?: string;
};

/**
 * Google's ID token carries `email_verified` for its `email`; anything but
 * `true` counts as unverified.
 */
export const googleProvider = Google({
  profile(claims: GoogleClaims) {
    return {
      id: claims.sub,
      name: claims.name,
      email: claims.email,
      image: claims.picture,
      emailVerified: claims.email_verified === true,
    };
  },
});

/** Where the emails of every email method go out: Resend's HTTP API. */
export const RESEND_API = "https://api.resend.com/emails";

/** The sender, from AUTH_EMAIL (a domain verified with Resend). */
function sender(): string {
  return env.AUTH_EMAIL ?? "Convex user sync <onboarding@resend.dev>";
}

/**
 * Sends one email through Resend's HTTP API with AUTH_RESEND_KEY.
 *
 * @example await sendEmail({ to, subject: "Your code", text: `Code: ${code}` });
 */
export async function sendEmail(message: {
  to: string;
  subject: string;
  text: string;
}): Promise<void> {
  const key = env.AUTH_RESEND_KEY;
  if (key === undefined) throw new Error("AUTH_RESEND_KEY is not set");
  const response = await fetch(RESEND_API, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${key}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      from: sender(),
      to: [message.to],
      subject: message.subject,
      text: message.text,
    }),
  });
  if (!response.ok) {
    throw new Error(`Resend answered ${response.status}`);
  }
}

/** Eight random digits, uniformly drawn. */
function oneTimeCode(): string {
  const digits: number[] = [];
  const bytes = new Uint8Array(1);
  while (digits.length < 8) {
    crypto.getRandomValues(bytes);
    // 250 = 25 × 10: rejecting 250..255 keeps every digit equally likely.
    if (bytes[0]! < 250) digits.push(bytes[0]! % 10);
  }
  return digits.join("");
}

/** An email provider that sends an eight-digit code valid `minutes`. */
function codeByEmail(id: string, subject: string, minutes: number) {
  return Email({
    id,
    maxAge: minutes * 60,
    generateVerificationToken: () => Promise.resolve(oneTimeCode()),
    async sendVerificationRequest({ identifier, token }) {
      await sendEmail({
        to: identifier,
        subject,
        text: `Your code is ${token}. It is valid for ${minutes} minutes.`,
      });
    },
  });
}

/**
 * Password accounts are keyed by the address as the sync keys it (ASCII case
 * folded), so "Ada@Example.com" and "ada@example.com" are one account. The
 * params are cleaned in place: Convex Auth hands the same object on to the
 * code flows (verification, reset), whose request writes the address to the
 * user, and a spelling of someone's address typed by someone else must not
 * replace theirs.
 */
function passwordProfile(params: Record<string, unknown>) {
  const email = cleanEmail(
    typeof params.email === "string" ? params.email : "",
  );
  params.email = email;
  return { email };
}

/** Password, without email verification: the address stays unverified. */
export const passwordProvider = Password<DataModel>({
  id: "password",
  profile: passwordProfile,
});

/**
 * Password with the address verified by a code before the first sign-in,
 * and reset by a code.
 */
export const passwordCodeProvider = Password<DataModel>({
  id: "password-code",
  profile: passwordProfile,
  verify: codeByEmail("password-code-verify", "Confirm your email", 20),
  reset: codeByEmail("password-code-reset", "Reset your password", 20),
});

/** Sign-in with a code sent by email. */
export const emailCodeProvider = codeByEmail(
  "resend-otp",
  "Your sign-in code",
  20,
);

/**
 * Sign-in with a magic link: Auth.js's Resend provider, which calls the same
 * API with `fetch` and AUTH_RESEND_KEY.
 */
export const magicLinkProvider = Resend({ id: "resend", from: sender() });

/** Guests: a user with no email (see the README for what they get). */
export const anonymousProvider = Anonymous<DataModel>();

/** Every sign-in method, in the order the app lists them. */
export const providers = [
  githubProvider,
  googleProvider,
  passwordProvider,
  passwordCodeProvider,
  emailCodeProvider,
  magicLinkProvider,
  anonymousProvider,
];
