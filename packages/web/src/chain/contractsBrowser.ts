/** The browser's `@teetee/contracts`: the generated ABIs without the node:fs deployment reader. */
export { iQuoteVerifierAbi } from "../../../contracts/src/abis/IQuoteVerifier.js";
export { modelRegistryAbi } from "../../../contracts/src/abis/ModelRegistry.js";
export { paymentEscrowAbi } from "../../../contracts/src/abis/PaymentEscrow.js";
export { runnerRegistryAbi } from "../../../contracts/src/abis/RunnerRegistry.js";
export { stakingAbi } from "../../../contracts/src/abis/Staking.js";
export { testTokenAbi } from "../../../contracts/src/abis/TestToken.js";
export type { Deployment } from "../../../contracts/src/deployments.js";
