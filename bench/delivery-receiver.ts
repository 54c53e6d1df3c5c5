// A receiver in its own process (so it does not compete with the server's event loop): answers 200 at once,
// counts calls and records commit -> arrival latency from the payload's created_at. Prints JSON on SIGTERM.
import { createServer } from "node:http";

const latencies: number[] = [];
let count = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    count++;
    const created = Date.parse((JSON.parse(Buffer.concat(chunks).toString()) as { created_at: string }).created_at);
    latencies.push(Date.now() - created);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`port ${(server.address() as { port: number }).port}\n`));
process.on("message", (m) => {
  if (m === "reset") {
    count = 0;
    latencies.length = 0;
  } else if (m === "count") process.send?.({ count });
  else if (m === "report") {
    const cpu = process.cpuUsage();
    process.send?.({ count, latencies, cpuUs: cpu.user + cpu.system });
  }
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
