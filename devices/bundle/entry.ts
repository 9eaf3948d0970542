// Entry of the bundled simulator (devices/dist/sensor-fleet.cjs, the container image's command): the CLI as
// the process. `require.main === module` does not hold inside a bundle, hence this file.
import { runAsProcess } from "../cli";

runAsProcess();
