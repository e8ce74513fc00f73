import { conformanceSuite } from "../../../conformance/suite";
import { v2App } from "./conformance.helpers";

// Two tables only: this app declares no fold (docs/convex-auth-v2.md).
conformanceSuite("v2", v2App, ["two_tables"]);
