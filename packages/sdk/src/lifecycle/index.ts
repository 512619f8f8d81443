export { type ListenFailure, listenFailure } from "./listenFailure.js";
export { type Built, type CloseReason, Phases, type PhasesParameters } from "./Phases.js";
