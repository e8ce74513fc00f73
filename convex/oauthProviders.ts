/**
 * The OAuth providers, configured so that each reports its own verification
 * claim for the address it hands over (`emailVerified` in the profile).
 * Convex Auth treats an OAuth email as verified when the profile says
 * nothing, and the sync links legacy rows, grants their rights and answers
 * lookups by verified email, so a provider that cannot vouch for an address
 * must say so. See the README's "What the sync trusts".
 */
import GitHub, { type GitHubProfile } from "@auth/core/providers/github";
import Google from "@auth/core/providers/google";

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
