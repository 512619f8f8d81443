import { resolve } from "node:path";
import type { Command } from "commander";
import { optionsOf, parseInteger } from "../../lib/command.js";
import type { CliIo } from "../../lib/io.js";

type UpOptions = {
  once?: boolean;
  shards: string;
  model?: string;
  quant?: string;
  blockSize?: string;
  port?: string;
  gatewayPort?: string;
  webPort?: string;
  out: string;
};

const port = (value: string | undefined, what: string) =>
  value === undefined ? {} : { [what]: parseInteger(value, what, 1, 65_535) };

/**
 * `teetee devnet up`, which `pnpm start` runs: the whole local network and its demo (`@teetee/devnet/demo`).
 * It holds the process until Ctrl-C (or, with --once, until the demo is done) and ends it with the network's exit
 * code, 128 + the signal's number after a signal, once every child it started is stopped.
 */
export function registerDevnetUp(parent: Command, io: CliIo): void {
  parent
    .command("up")
    .description(
      "Start a whole local network (chain, contracts, demo model, attested runners, gateway, web app) and run a paid demo through it",
    )
    .option("--once", "stop everything after the demo; exit 0 only when every step succeeded")
    .option("--shards <n>", "number of shards of the demo model", "3")
    .option("--model <dir>", "shard and register this Hugging Face folder instead of the demo model")
    .option("--quant <format>", "weight format of the shards: fp32, int8 or int4 (default fp32)")
    .option("--block-size <n>", "weights per quantization block with --quant (default 32)")
    .option("--port <n>", "the chain's JSON-RPC port (default: a free one; --rpc-url uses a running chain)")
    .option("--gateway-port <n>", "the gateway's port (default: a free one)")
    .option("--web-port <n>", "the web app's port (default: a free one)")
    .option("--out <dir>", "where the deployment, model, shards, logs and devnet.env go", ".teetee/devnet")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<UpOptions>(command);
      const { upDevnet } = await import("@teetee/devnet/demo");
      const code = await upDevnet({
        once: options.once === true,
        json: options.json === true,
        shards: parseInteger(options.shards, "shard count", 1, 1024),
        out: resolve(io.cwd, options.out),
        ...(options.model === undefined ? {} : { model: resolve(io.cwd, options.model) }),
        ...(options.quant === undefined ? {} : { quant: options.quant }),
        ...(options.blockSize === undefined
          ? {}
          : { blockSize: parseInteger(options.blockSize, "block size", 1, 1 << 20) }),
        ...port(options.port, "port"),
        ...port(options.gatewayPort, "gatewayPort"),
        ...port(options.webPort, "webPort"),
        ...(options.rpcUrl === undefined ? {} : { rpcUrl: options.rpcUrl }),
      });
      // The network owned this process: its signal handlers stay installed, so end it here with its own code.
      process.exit(code);
    });
}
