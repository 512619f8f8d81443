/** Moved to `@teetee/sdk/protocol`, where receipt verifiers in the browser reuse it; re-exported for the gateway. */
export { TextStream } from "@teetee/sdk/protocol";
