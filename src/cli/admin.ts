// The admin tool's process entry (`npm run admin -- …`): arguments in, output and exit code out.
import { runAdmin } from "./run-admin.js";

process.exitCode = runAdmin(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
