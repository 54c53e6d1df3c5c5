// Guards the proto toolchain: the committed gen/ must be exactly what `buf generate`
// produces from proto/, and `buf lint` must pass.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bin = join(root, "node_modules", ".bin");
const buf = join(bin, "buf");
const genDir = join(root, "gen");
const BUF_TIMEOUT_MS = 60_000;

/** The plugin options of buf.gen.yaml; checked against the file below. */
const PLUGIN_OPTS = ["target=ts", "import_extension=js"];

// protoc-gen-es is a Node script: put the repo's node_modules/.bin (which holds Node 24) first.
const env = { ...process.env, PATH: [bin, process.env.PATH ?? ""].join(delimiter) };

async function runBuf(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(buf, args, { cwd: root, env, timeout: BUF_TIMEOUT_MS, maxBuffer: 16 << 20 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number | string; signal?: string; stdout?: string; stderr?: string; message: string };
    const code = typeof e.code === "number" ? e.code : -1;
    return { code, output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.signal ? `\n(killed by ${e.signal})` : ""}\n${e.message}` };
  }
}

/** Relative paths (with "/" separators) of every file under dir. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}

/** Plugin `opt:` entries of buf.gen.yaml (a tiny reader for its simple list syntax). */
function readGenOpts(yaml: string): string[] {
  const lines = yaml.split(/\r?\n/);
  const start = lines.findIndex((l) => /^\s*opt:\s*$/.test(l));
  if (start < 0) return [];
  const opts: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*-\s*(\S.*?)\s*$/.exec(line);
    if (!m) break;
    opts.push(m[1]!.replace(/^["']|["']$/g, ""));
  }
  return opts;
}

describe("proto toolchain", () => {
  let outDir = "";

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "tether-buf-gen-"));
  });
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("buf.gen.yaml still uses the plugin options this test mirrors", async () => {
    const yaml = await readFile(join(root, "buf.gen.yaml"), "utf8");
    expect(yaml).toMatch(/^\s*-\s*local:\s*(node_modules\/\.bin\/)?protoc-gen-es\s*$/m);
    expect(yaml).toMatch(/^\s*-\s*directory:\s*proto\s*$/m);
    expect(readGenOpts(yaml), "buf.gen.yaml opts changed: update PLUGIN_OPTS in test/unit/protos.test.ts").toEqual(
      PLUGIN_OPTS,
    );
  });

  it(
    "committed gen/ is byte-for-byte what `buf generate` produces from proto/",
    async () => {
      const template = JSON.stringify({
        version: "v2",
        inputs: [{ directory: "proto" }],
        plugins: [{ local: join(bin, "protoc-gen-es"), out: outDir, opt: PLUGIN_OPTS }],
      });
      const gen = await runBuf(["generate", "--template", template]);
      expect(gen.code, `buf generate failed:\n${gen.output}`).toBe(0);

      const fresh = await listFiles(outDir);
      const committed = await listFiles(genDir);
      expect(fresh.length, "buf generate produced no files").toBeGreaterThan(0);

      const stale: string[] = [];
      for (const path of fresh) {
        if (!committed.includes(path)) {
          stale.push(`gen/${path} (missing from gen/)`);
        } else {
          const [want, have] = await Promise.all([readFile(join(outDir, path)), readFile(join(genDir, path))]);
          if (!want.equals(have)) stale.push(`gen/${path} (differs from buf generate output)`);
        }
      }
      for (const path of committed) {
        if (!fresh.includes(path)) stale.push(`gen/${path} (extra: not produced by buf generate)`);
      }

      expect(stale, `gen/ is stale; run npm run generate. Stale files:\n  ${stale.join("\n  ")}\n`).toEqual([]);
    },
    BUF_TIMEOUT_MS + 30_000,
  );

  it(
    "buf lint exits 0",
    async () => {
      const lint = await runBuf(["lint"]);
      expect(lint.code, `buf lint failed:\n${lint.output}`).toBe(0);
    },
    BUF_TIMEOUT_MS + 30_000,
  );
});
