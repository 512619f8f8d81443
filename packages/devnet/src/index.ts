/**
 * The local TeeTee network: Hardhat's chain, the demo model, staked actors, runner and gateway processes under
 * supervision, the output folder's lock and state, and the demo's traffic and summary. `teetee devnet up`
 * (`@teetee/devnet/demo`) composes them; tests use the same parts (`@teetee/devnet/testing`).
 */
export { type Actor, createActor } from "./actors.js";
export {
  type DemoPricing,
  demoPricing,
  registerDemoModel,
  shardDemoModel,
  writeDemoModel,
} from "./demoModel.js";
export { freePort, LOCAL_CHAIN_ID, LOCAL_MNEMONIC, type LocalChain, startLocalChain } from "./localChain.js";
export {
  type DemoRunner,
  type DemoRunnerSpec,
  type ServiceReporting,
  startDemoGateway,
  startDemoRunner,
} from "./network.js";
export {
  LOCK_FILE,
  type LockHolder,
  liveHolder,
  lockOutputFolder,
  OutputFolderInUseError,
  type OutputLock,
  processStartOf,
} from "./outputLock.js";
export {
  describeExit,
  type Exit,
  projectNode,
  STOP_GRACE_MS,
  type Supervised,
  spawnSupervised,
  stopAllSupervised,
  stopGroup,
  typescriptCommand,
} from "./processes.js";
export { repoRoot } from "./repoRoot.js";
export {
  deathNotice,
  GATEWAY_ENTRY,
  lastLines,
  RUNNER_ENTRY,
  type Service,
  spawnService,
  stopAllServices,
} from "./services.js";
export {
  type DevnetState,
  readDevnetState,
  type ServiceKind,
  type ServiceRecord,
  STATE_FILE,
  writeDevnetState,
} from "./state.js";
export { type DevnetSummary, readGas, readSummary } from "./summary.js";
export {
  DEMO_PROMPTS,
  type DemoRequest,
  finalVouchers,
  sendDemoRequests,
  waitForSettlement,
} from "./traffic.js";
