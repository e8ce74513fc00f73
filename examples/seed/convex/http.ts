import { httpRouter } from "convex/server";
import { auth } from "./auth";

const http = httpRouter();

// OAuth redirects and callbacks (/api/auth/signin/*, /api/auth/callback/*).
auth.addHttpRoutes(http);

export default http;
