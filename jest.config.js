/** Jest runs every package's `*.test.ts` as native ESM through ts-jest. */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  roots: ["<rootDir>/packages", "<rootDir>/scripts"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/packages/web/e2e/"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": [
      "ts-jest",
      { useESM: true, isolatedModules: true, tsconfig: "tsconfig.base.json", diagnostics: false },
    ],
  },
  testTimeout: 120000,
};
