/** Who signs in to `npm run demo:web`, with which password. */
export const DEMO_PASSWORD = "console-demo-1";
export const DEMO_ADMIN = "admin@example.com";
export const DEMO_USER = "ada@example.com";
