import { httpRouter } from "convex/server";
import { auth } from "./auth";

const http = httpRouter();

// Convex Auth's routes (its JWKS and OpenID configuration).
auth.addHttpRoutes(http);

export default http;
