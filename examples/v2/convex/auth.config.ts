import { convexAuthProvider } from "@convex-dev/auth/server";
import type { AuthConfig } from "convex/server";

// Convex Auth v2 signs its access tokens with the deployment's own key
// (issuer `${CONVEX_CLOUD_URL}/components/auth`).
export default {
  providers: [convexAuthProvider()],
} satisfies AuthConfig;
