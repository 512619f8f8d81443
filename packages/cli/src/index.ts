export { CliError, ExitCode, type ExitCodeValue } from "./lib/errors.js";
export type { CliIo } from "./lib/io.js";
export { createProgram, runCli } from "./runCli.js";
