import {
  iQuoteVerifierAbi,
  modelRegistryAbi,
  paymentEscrowAbi,
  receiptSlasherAbi,
  runnerRegistryAbi,
  stakingAbi,
  testTokenAbi,
} from "@teetee/contracts/abi";

/** Every function, event and custom error a TeeTee contract can produce, for decoding reverts from any of them. */
export const teeTeeErrorAbi = [
  ...modelRegistryAbi,
  ...stakingAbi,
  ...runnerRegistryAbi,
  ...paymentEscrowAbi,
  ...receiptSlasherAbi,
  ...testTokenAbi,
  ...iQuoteVerifierAbi,
] as const;
