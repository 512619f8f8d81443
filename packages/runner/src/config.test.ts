import { batchKvBytesOf, parseRunnerConfig } from "./config.js";
import { RunnerStartupError } from "./errors.js";

const base = ["--model-dir", "/tmp/x", "--shard", "0"];

describe("runner config: --batch-kv-bytes", () => {
  test("defaults to a quarter of --max-kv-bytes", () => {
    expect(batchKvBytesOf(parseRunnerConfig(base, {}))).toBe(512 * 1024 ** 2);
    expect(batchKvBytesOf(parseRunnerConfig([...base, "--max-kv-bytes", "1000"], {}))).toBe(250);
  });

  test("is read from the flag over TEETEE_BATCH_KV_BYTES", () => {
    const env = { TEETEE_BATCH_KV_BYTES: "4096" };
    expect(batchKvBytesOf(parseRunnerConfig(base, env))).toBe(4096);
    expect(batchKvBytesOf(parseRunnerConfig([...base, "--batch-kv-bytes", "8192"], env))).toBe(8192);
  });

  test("refuses a value that is not a positive integer, naming the field", () => {
    for (const value of ["0", "-1", "1.5", "lots"]) {
      expect(() => parseRunnerConfig([...base, `--batch-kv-bytes=${value}`], {})).toThrow(RunnerStartupError);
    }
    expect(() => parseRunnerConfig([...base, "--batch-kv-bytes", "0"], {})).toThrow(
      expect.objectContaining({ details: expect.stringContaining("batchKvBytes") }),
    );
  });
});
