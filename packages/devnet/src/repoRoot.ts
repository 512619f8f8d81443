import { fileURLToPath } from "node:url";

/** The repository's root folder: the local network runs the workspace's packages from their sources. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
