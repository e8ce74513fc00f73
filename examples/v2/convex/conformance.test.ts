import { conformanceSuite } from "../../../conformance/suite";
import { v2App } from "./conformance.helpers";

conformanceSuite("v2", v2App);
