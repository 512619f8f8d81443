export { type DescribeOptions, describe, hintOf } from "./describe.js";
export { TeeTeeError, type TeeTeeErrorJson, type TeeTeeErrorOptions } from "./TeeTeeError.js";
export { causeChain, walk } from "./walk.js";
