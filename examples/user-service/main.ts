// Runs Tether with the example UserService mounted on the same port, in development mode, so the
// seed flow "validate the email domain before AddHumanUser" can be tried end to end:
//
//   npx tsx examples/user-service/main.ts                 # Tether + UserService on :8080, receiver on :9000
//   TOKEN=$(cat data-example/admin.pat)
//   curl -s -X POST localhost:8080/v2/actions/targets -H "Authorization: Bearer $TOKEN" \
//     -d '{"name":"email-domain","restWebhook":{"interruptOnError":true},"timeout":"5s","endpoint":"http://127.0.0.1:9000/check"}'
//   curl -s -X PUT localhost:8080/v2/actions/executions -H "Authorization: Bearer $TOKEN" \
//     -d '{"condition":{"request":{"method":"/tether.example.v1.UserService/AddHumanUser"}},"targets":["<id>"]}'
//   curl -s -X POST localhost:8080/tether.example.v1.UserService/AddHumanUser -H "Authorization: Bearer $TOKEN" \
//     -H 'content-type: application/json' -d '{"username":"eve","email":"eve@evil.example"}'
//   -> {"code":"invalid_argument","message":"email domain evil.example is not allowed"}
import { loadConfig, createLogger, startTether, hostService } from "../../src/index.js";
import { UserService } from "../../gen/tether/example/v1/user_service_pb.js";
import { createUserService } from "./service.js";
import { startEmailDomainReceiver } from "./email-domain-receiver.js";

const receiver = await startEmailDomainReceiver({ port: Number(process.env.RECEIVER_PORT ?? 9000), allowed: ["example.com"] });
const config = loadConfig({ TETHER_DATA_DIR: "./data-example", TETHER_DEV: "1", TETHER_HOST: "127.0.0.1", ...process.env });
const tether = await startTether(config, createLogger({ level: config.logLevel }), { hostServices: [hostService(UserService, createUserService())] });
if (tether.newAdminToken) process.stdout.write(`admin token (also in ${config.dataDir}/admin.pat): ${tether.newAdminToken}\n`);
process.stdout.write(`Tether + UserService on ${tether.url}; email-domain receiver on ${receiver.url}\n`);
const stop = async () => {
  await tether.close();
  await receiver.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
