/** The web app's end-to-end tests: real chain, built app, headless Debian Chromium. Run one file at a time. */
export default {
  rootDir: "../..",
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  roots: ["<rootDir>/packages/web/e2e"],
  testMatch: ["**/*.test.ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.base.json", diagnostics: false }],
  },
  testTimeout: 180000,
  maxWorkers: 1,
};
