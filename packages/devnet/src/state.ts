import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What a service of the local network answers on, so `teetee devnet status` knows how to ask it. */
export type ServiceKind = "chain" | "runner" | "gateway" | "web";

export type ServiceRecord = { name: string; kind: ServiceKind; url: string; logFile?: string };

/** What `pnpm start` leaves in its output folder for `teetee devnet status`: the summary people need again. */
export type DevnetState = {
  pid: number;
  startedAt: string;
  rpcUrl: string;
  gatewayUrl: string;
  webUrl: string;
  apiKey: string;
  model: string;
  envFile: string;
  logDir: string;
  services: ServiceRecord[];
};

export const STATE_FILE = "devnet.json";

export function writeDevnetState(folder: string, state: DevnetState): void {
  writeFileSync(join(folder, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state `pnpm start` wrote in `folder`, or undefined when no network has come up there. */
export function readDevnetState(folder: string): DevnetState | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, STATE_FILE), "utf8")) as DevnetState;
  } catch {
    return undefined;
  }
}
