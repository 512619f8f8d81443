import "dotenv/config";
import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import { configVariable, defineConfig } from "hardhat/config";

// The compiler comes from the npm `solc` package so that building never downloads anything.
const solcPath = createRequire(import.meta.url).resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxViem, hardhatEthers, hardhatTypechain],
  solidity: {
    version: "0.8.28",
    path: solcPath,
    settings: {
      optimizer: { enabled: true, runs: 2000 },
      evmVersion: "cancun",
      // NatSpec of every error and event goes into the build info: scripts/generateAbis.ts turns the errors'
      // notices into the SDK's sentences, and a test checks every error and event carries one.
      outputSelection: { "*": { "*": ["userdoc", "devdoc"] } },
    },
  },
  // The accounting rules are the product: every fuzz test takes 1,500 inputs and the invariant 128 sequences
  // (about 10,600 runs per `hardhat test`).
  test: {
    solidity: { fuzz: { runs: 1500 }, invariant: { runs: 128 } },
  },
  typechain: {
    outDir: "packages/contracts/typechain",
  },
  paths: {
    sources: "./contracts",
    tests: { solidity: "./test", nodejs: "./test" },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    remote: {
      type: "http",
      chainType: "l1",
      url: configVariable("TEETEE_RPC_URL"),
      accounts: [configVariable("TEETEE_DEPLOYER_KEY")],
    },
  },
});
