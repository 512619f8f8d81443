import { type Hex, keccak256, toBytes } from "viem";

/** Role ids of the TeeTee contracts (OpenZeppelin AccessControl: keccak256 of the role's name). */
export const teeTeeRoles = {
  /** Admin of every role on every contract. */
  DEFAULT_ADMIN_ROLE: `0x${"00".repeat(32)}` as Hex,
  /** ModelRegistry: may register models. */
  CURATOR_ROLE: keccak256(toBytes("CURATOR_ROLE")),
  /** Staking: may lock and unlock stake (the runner registry). */
  LOCKER_ROLE: keccak256(toBytes("LOCKER_ROLE")),
  /** Staking: may slash stake. */
  SLASHER_ROLE: keccak256(toBytes("SLASHER_ROLE")),
  /** RunnerRegistry: may deactivate any runner. */
  RUNNER_ADMIN_ROLE: keccak256(toBytes("RUNNER_ADMIN_ROLE")),
} as const;

export type TeeTeeRole = keyof typeof teeTeeRoles;
