#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the command works straight from the workspace without a build.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
