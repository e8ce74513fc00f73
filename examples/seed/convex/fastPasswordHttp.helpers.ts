/**
 * The app's HTTP routes (convex/http.ts) over the cheap-hash `auth` of
 * fastPassword.helpers.ts. Mounted with it (FAST_PASSWORD_MODULES): the
 * app's own http.ts imports the real `auth`, and loading it makes every
 * later password sign-in of the test file hash with scrypt again. A
 * multi-dot file: never deployed.
 */
import { httpRouter } from "convex/server";
import { auth } from "./fastPassword.helpers";

const http = httpRouter();

auth.addHttpRoutes(http);

export default http;
