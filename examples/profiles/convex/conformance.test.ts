import { conformanceSuite } from "../../../conformance/suite";
import { profilesApp } from "./conformance.helpers";

conformanceSuite("profiles", profilesApp);
