import { conformanceSuite } from "../../../conformance/suite";
import { seedApp } from "./conformance.helpers";

conformanceSuite("seed", seedApp);
