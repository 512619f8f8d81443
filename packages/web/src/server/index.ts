/** The web app's Node side: the production build and the static server with its limits (`pnpm start` uses both). */
export { buildWeb } from "./buildWeb.js";
export { type ServedWeb, serveWeb } from "./serveWeb.js";
