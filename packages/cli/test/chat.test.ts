/**
 * `teetee chat` against a stand-in gateway on a real socket, so each answer a real gateway can give is scripted:
 * the exit code must say what kind of failure it was, the same way every other command does.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { teetee } from "./helpers.js";

type Scripted = { models: string[]; status: number; code: string };
let script: Scripted;
let server: Server;
let env: Record<string, string>;
const cwd = mkdtempSync(join(tmpdir(), "teetee-chat-"));

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/v1/models") {
      res.end(
        JSON.stringify({
          object: "list",
          data: script.models.map((id) => ({ id, object: "model", created: 0, owned_by: "x" })),
        }),
      );
      return;
    }
    res.statusCode = script.status;
    if (script.status === 429) res.setHeader("retry-after", "3");
    res.end(
      JSON.stringify({
        error: { message: `scripted ${script.status}`, type: "x", param: null, code: script.code },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  env = { TEETEE_GATEWAY_URL: `http://127.0.0.1:${port}`, TEETEE_API_KEY: "tt_test" };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("teetee chat exit codes", () => {
  test.each([
    [400, "invalid_value", 2],
    [401, "invalid_api_key", 3],
    [402, "insufficient_funds", 5],
    [404, "model_not_found", 2],
    [429, "rate_limited", 4],
    [503, "no_capacity", 4],
    [500, "internal_error", 1],
  ])("a gateway answer of %i (%s) exits %i", async (status, code, exitCode) => {
    script = { models: ["tiny"], status, code };
    const run = await teetee(["chat", "hello"], env, cwd);
    expect(run.code).toBe(exitCode);
    expect(run.stderr).toContain(`scripted ${status}`);
  });

  test("a gateway serving no model right now (a shard is down) is a service failure (4), said so", async () => {
    script = { models: [], status: 200, code: "" };
    const run = await teetee(["chat", "hello"], env, cwd);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/serves no model right now/);
    expect(run.stderr).toMatch(/readyz/);
  });
});
