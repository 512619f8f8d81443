import type { Command } from "commander";
import type { CliIo } from "../lib/io.js";
import { registerAllocate } from "./allocate.js";
import { registerAuditCheck } from "./audit/check.js";
import { registerBalance } from "./balance.js";
import { registerChat } from "./chat.js";
import { registerDeployCompose } from "./deploy/compose.js";
import { registerDeployContracts } from "./deploy/contracts.js";
import { registerDeposit } from "./deposit.js";
import { registerDevnetStatus } from "./devnet/status.js";
import { registerDevnetUp } from "./devnet/up.js";
import { registerDevTee } from "./devTee.js";
import { registerEarnings } from "./earnings.js";
import { registerGatewayStart } from "./gateway/start.js";
import { registerKeyCreate } from "./key/create.js";
import { registerKeyRevoke } from "./key/revoke.js";
import { registerKeystoreCreate } from "./keystore/create.js";
import { registerModelAllowCompose } from "./model/allowCompose.js";
import { registerModelAllowOs } from "./model/allowOs.js";
import { registerModelInspect } from "./model/inspect.js";
import { registerModelPrices } from "./model/prices.js";
import { registerModelRegister } from "./model/register.js";
import { registerModelShard } from "./model/shard.js";
import { registerReceiptReportEquivocation } from "./receipt/reportEquivocation.js";
import { registerReceiptVerify } from "./receipt/verify.js";
import { registerRelease } from "./release.js";
import { registerRunnerAttestation } from "./runner/attestation.js";
import { registerRunnerRegister } from "./runner/register.js";
import { registerRunnerStart } from "./runner/start.js";
import { registerRunners } from "./runners.js";
import { registerStake } from "./stake.js";
import { registerUnstake } from "./unstake.js";
import { registerVerify } from "./verify.js";
import { registerWithdrawCancel } from "./withdraw/cancel.js";
import { registerWithdrawDeposit } from "./withdraw/deposit.js";
import { registerWithdrawEarnings } from "./withdraw/earnings.js";
import { registerWithdrawStake } from "./withdrawStake.js";

/** Adds one command, its flags and its handler to `parent` (the program, or the group it belongs to). */
export type RegisterCommand = (parent: Command, io: CliIo) => void;

/** A command that only gathers others under its name: `teetee model ...`. */
export interface CommandGroup {
  name: string;
  description: string;
  commands: readonly RegisterCommand[];
}

/**
 * Every `teetee` command, in the order `--help` lists them. Each command's file mirrors its path:
 * `teetee model register` is `model/register.ts`, `teetee stake` is `stake.ts`.
 */
export const commandTable: readonly (RegisterCommand | CommandGroup)[] = [
  {
    name: "model",
    description: "Curators: shard, inspect and register models",
    commands: [
      registerModelShard,
      registerModelInspect,
      registerModelRegister,
      registerModelAllowCompose,
      registerModelAllowOs,
      registerModelPrices,
    ],
  },
  registerStake,
  registerUnstake,
  registerWithdrawStake,
  registerRunners,
  registerEarnings,
  registerDeposit,
  registerBalance,
  {
    name: "withdraw",
    description: "Withdraw earnings (contributors) or escrow deposits (buyers)",
    commands: [registerWithdrawEarnings, registerWithdrawDeposit, registerWithdrawCancel],
  },
  {
    name: "key",
    description: "Buyers: API keys (session signers with a spend limit and expiry)",
    commands: [registerKeyCreate, registerKeyRevoke],
  },
  registerAllocate,
  registerRelease,
  {
    name: "runner",
    description: "Operators: run, register and inspect shard runners",
    commands: [registerRunnerStart, registerRunnerRegister, registerRunnerAttestation],
  },
  registerVerify,
  {
    name: "receipt",
    description:
      "Check an answer's signed receipts offline against the chain; report a runner that signed two outputs",
    commands: [registerReceiptVerify, registerReceiptReportEquivocation],
  },
  {
    name: "audit",
    description: "Anyone: recheck an auditor's divergence evidence offline with the shard's weights",
    commands: [registerAuditCheck],
  },
  { name: "gateway", description: "The OpenAI-compatible gateway", commands: [registerGatewayStart] },
  registerChat,
  {
    name: "deploy",
    description: "Deploy contracts, or write a runner's dstack compose files",
    commands: [registerDeployContracts, registerDeployCompose],
  },
  registerDevTee,
  {
    name: "devnet",
    description: "Operators: the local network that `pnpm start` runs",
    commands: [registerDevnetUp, registerDevnetStatus],
  },
  {
    name: "keystore",
    description: "Encrypted JSON keystores (scrypt), an alternative to keys in .env",
    commands: [registerKeystoreCreate],
  },
];

/** Adds every command of the table to `program`. */
export function registerCommands(program: Command, io: CliIo): void {
  for (const entry of commandTable) {
    if (typeof entry === "function") {
      entry(program, io);
      continue;
    }
    const group = program.command(entry.name).description(entry.description);
    for (const register of entry.commands) register(group, io);
  }
}
