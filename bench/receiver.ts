// The webhook receiver, in its own process: a target call from Tether (and the bare POST from the client)
// then crosses a process boundary as a real webhook does, and neither caller's event loop serves it.
import { createServer } from "node:http";
import type { FromReceiver, ToReceiver } from "./protocol.js";

const send = (m: FromReceiver) => process.send!(m);
// Body size last seen per path: lets the report show how large each payload type is on the wire.
const bytes: Record<string, number> = {};

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  let n = 0;
  req.on("data", (c: Buffer) => (n += c.length));
  req.on("end", () => {
    bytes[req.url ?? "/"] = n;
    // 200 with an empty body: a webhook that accepts everything, so only the transport and Tether are measured.
    res.writeHead(200, { "content-length": "0" });
    res.end();
  });
});

process.on("message", (raw) => {
  const m = raw as ToReceiver;
  if (m.type === "sizes") return send({ type: "sizes", bytes });
  server.closeAllConnections();
  server.close(() => process.disconnect());
});

server.listen(0, "127.0.0.1", () => {
  const a = server.address();
  send({ type: "ready", url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}` });
});
